"""The bundles an instructor hands out: the Gradescope zip's run_autograder, run for
real in a folder laid out like /autograder, and the student bundle's `make check`."""

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

from gradkit import bundle
from tests.kit import SOLUTIONS, SUBMISSIONS, build_mixed

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
    assert results["solutions"]["score"] == 43
    assert 0 < results["mixed"]["score"] < 43
    assert any(t["visibility"] == "after_published" for t in results["mixed"]["tests"])
    assert results["broken"]["score"] < 43
    assert results["missing"]["score"] == 0 and "could not be graded" in results["missing"]["output"]


def test_the_student_bundle_runs_make_check_without_solutions(open_folder):
    zip_path = bundle.student(open_folder / "student.zip")
    _extract(zip_path, open_folder)
    kit = open_folder / "gradkit-student"
    present = {p.relative_to(kit).parts[0] for p in kit.rglob("*")}
    assert {"exercises", "checks", "gradkit", "Makefile", "README.md"} <= present
    assert not {"solutions", "tests"} & present
    assert not (kit / "checks" / "hidden").exists()
    done = subprocess.run(["make", "check", f"PYTHON={sys.executable}"], cwd=kit,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GRADKIT_LANG": "en"})
    assert done.returncode != 0 and "Total: 0 / 43" in done.stdout, done.stdout[-2000:] + done.stderr
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
