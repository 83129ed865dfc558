"""The bundles an instructor hands out: the Gradescope zip's run_autograder, run for
real in a folder laid out like /autograder, and the student bundle's `make check`; the
student bundle holds no answers."""

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jsonschema
import pytest

from gradkit import bundle, catalog
from tests.kit import KIT, SOLUTIONS, SUBMISSIONS, build_mixed

TOTAL = catalog.total_points()

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope.json").read_text())


def _extract(zip_path: Path, into: Path) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = zf.extract(info, into)
            mode = info.external_attr >> 16
            if mode:
                os.chmod(target, mode)


@pytest.fixture
def open_folder():
    """A folder anyone may read: as root, student code runs under its own uid and must
    be able to import the kit from there (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="gradkit-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _run_autograder(root: Path, submission: Path | None) -> dict:
    if submission is not None:
        shutil.copytree(submission, root / "submission")
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "GRADKIT_AUTOGRADER_ROOT": str(root),
                               "GRADKIT_PYTHON": sys.executable, "GRADKIT_LANG": "en"})
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def test_the_gradescope_zip_grades_in_an_autograder_layout(open_folder):
    zip_path = bundle.autograder(open_folder / "autograder.zip")
    names = zipfile.ZipFile(zip_path).namelist()
    assert {"setup.sh", "run_autograder"} <= set(names)
    assert any(n.startswith("checks/hidden/") for n in names)
    assert not any(n.startswith(("solutions/", "tests/")) for n in names)
    shipped = [n for n in names if n.startswith("plan/plan-")]  # the grading plan, drawn once
    assert len(shipped) == 1
    results = {}
    for name, submission in [("solutions", SOLUTIONS), ("mixed", None), ("broken", None),
                             ("missing", None)]:
        root = open_folder / name
        _extract(zip_path, root / "source")
        assert os.access(root / "source" / "run_autograder", os.X_OK)
        if name == "mixed":
            submission = build_mixed(open_folder / "mixed-submission")
        if name == "broken":
            submission = SUBMISSIONS / "syntax_error"
        results[name] = _run_autograder(root, submission)
    assert results["solutions"]["score"] == TOTAL
    # the kit version there is the one the plan was drawn for: gradings there replay it
    source = open_folder / "solutions" / "source"
    there = subprocess.run([sys.executable, "-c", "from gradkit import plan; print(plan.plan_file())"],
                           env={**os.environ, "PYTHONPATH": str(source),
                                "GRADKIT_PLAN_DIR": str(source / "plan")},
                           cwd=source, capture_output=True, text=True, check=True)
    assert Path(there.stdout.strip()) == source / shipped[0]
    assert 0 < results["mixed"]["score"] < TOTAL
    assert any(t["visibility"] == "after_published" for t in results["mixed"]["tests"])
    assert results["broken"]["score"] < TOTAL
    assert results["missing"]["score"] == 0 and "could not be graded" in results["missing"]["output"]


@pytest.fixture(scope="module")
def recorded():
    """The worked examples' answers, recorded once for every bundle this module builds."""
    return bundle.record_answers()


def test_the_student_bundle_runs_make_check_without_solutions(open_folder, recorded):
    zip_path = bundle.student(open_folder / "student.zip", recorded)
    _extract(zip_path, open_folder)
    kit = open_folder / "gradkit-student"
    present = {p.relative_to(kit).parts[0] for p in kit.rglob("*")}
    assert {"exercises", "checks", "gradkit", "Makefile", "README.md"} <= present
    assert not {"solutions", "tests"} & present
    assert not (kit / "checks" / "hidden").exists()
    done = subprocess.run(["make", "check", f"PYTHON={sys.executable}"], cwd=kit,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GRADKIT_LANG": "en"})
    assert done.returncode != 0 and f"Total: 0 / {TOTAL:g}" in done.stdout, done.stdout[-2000:] + done.stderr
    assert "not implemented yet" in done.stdout
    assert (kit / "report" / "index.html").is_file()


def test_the_prairielearn_entrypoint_grades_in_its_layout(open_folder):
    kit = open_folder / "serverFilesCourse" / "gradkit"
    shutil.copytree(bundle.KIT, kit, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "report", "__pycache__", "tests"))
    root = open_folder / "grade"
    shutil.copytree(SOLUTIONS, root / "student")
    done = subprocess.run(["bash", str(kit / "lms" / "prairielearn" / "run")], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "GRADKIT_PL_ROOT": str(root),
                               "GRADKIT_PYTHON": sys.executable, "GRADKIT_LANG": "en"})
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, json.loads((Path(__file__).parent / "schemas" /
                                          "prairielearn.json").read_text()))
    assert data["gradable"] and data["score"] == 1.0


def _bodies(source: str) -> dict[str, str]:
    """Each top-level function's body (docstring left out), as ast.unparse writes it."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            found[node.name] = "\n".join(ast.unparse(s) for s in body)
    return found


def _bundle_python(zip_path: Path) -> str:
    with zipfile.ZipFile(zip_path) as zf:
        return "\n".join(ast.unparse(ast.parse(zf.read(n).decode("utf-8")))
                         for n in zf.namelist() if n.endswith(".py"))


def _marked_functions() -> dict[str, dict[str, tuple[str, str | None]]]:
    return {str(p.relative_to(KIT)): found for p in sorted((KIT / "checks").rglob("*.py"))
            if (found := bundle.marked(p.read_text(encoding="utf-8")))}


def test_the_student_bundle_holds_no_answers(tmp_path, recorded):
    zip_path = bundle.student(tmp_path / "student.zip", recorded)
    carried = _bundle_python(zip_path)
    # No solution's body, anywhere in the bundle.
    for module in sorted(SOLUTIONS.glob("*.py")):
        for name, body in _bodies(module.read_text(encoding="utf-8")).items():
            assert body not in carried, f"the student bundle holds the body of {module.stem}.{name}"
    # Every marked reference and kit-only diagnosis loses its body, and only in the bundle.
    marked = _marked_functions()
    assert {"checks/graph_leaves.py", "checks/gd_loop.py", "checks/pictures.py",
            "checks/engine_graphs.py", "checks/manual_grad.py"} <= set(marked)
    for rel, functions in marked.items():
        original = _bodies((KIT / rel).read_text(encoding="utf-8"))
        for name in functions:
            if name in original:  # top-level (a nested marker stops the bundle)
                assert original[name] not in carried, f"the student bundle holds {rel}'s {name}"
    replaced = _bodies(bundle.student_source("checks/gd_loop.py", (KIT / "checks" / "gd_loop.py")
                                             .read_text(encoding="utf-8")))
    assert "precomputed('checks/gd_loop.py::sgd_ref', 'minibatch_sgd'" in replaced["sgd_ref"]
    assert replaced["gd_diagnoses"] == "return []"
    with zipfile.ZipFile(zip_path) as zf:
        answers = json.loads(zf.read("gradkit-student/checks/answers.json"))
    assert answers and all(" checks/pictures.py::" in k or "worked_example" in k for k in answers)
    full = bundle.autograder(tmp_path / "autograder.zip")
    with zipfile.ZipFile(full) as zf:
        assert zf.read("checks/gd_loop.py").decode() == (KIT / "checks" / "gd_loop.py").read_text()
        assert "checks/answers.json" not in zf.namelist()


def test_a_marker_the_bundle_cannot_replace_stops_it():
    nested = "def outer():\n    @answer('ridge')\n    def ref():\n        return 1\n    return ref\n"
    with pytest.raises(bundle.BundleError, match="not at the top of its module"):
        bundle.student_source("checks/x.py", nested)
    with pytest.raises(bundle.BundleError, match="string literal"):
        bundle.student_source("checks/x.py", "@answer(NAME)\ndef ref():\n    return 1\n")


def test_the_autograder_takes_the_cpu_build_unless_told(tmp_path):
    def index(env):
        path = bundle.autograder(tmp_path / "a.zip", bundle.torch_choice(env))
        with zipfile.ZipFile(path) as zf:
            return zf.read("torch-index.txt").decode().strip() if "torch-index.txt" in \
                zf.namelist() else None
    assert index({}) is None  # setup.sh's own default: PyTorch's CPU wheel index
    assert index({"GRADKIT_TORCH": "cuda"}) == "default"
    assert index({"GRADKIT_TORCH_INDEX": "file:///mirror/cpu"}) == "file:///mirror/cpu"
    setup = (KIT / "lms" / "gradescope" / "setup.sh").read_text()
    assert "whl/cpu" in setup and '"$torch_index" != "default"' in setup
