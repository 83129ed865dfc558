"""`make autograder` and `make student`: the zips an instructor hands out.

The autograder zip (Gradescope) holds setup.sh and run_autograder at its root and
the kit beside them: the engine, every check including the hidden ones, no
solutions and no kit tests. The student bundle holds what a student needs to
practise with `make check`: the stubs, the engine and the public checks; no
solutions, no hidden checks, no kit tests (its mutants are near-solutions).

No reference that is an answer leaves the kit: a check's reference marked
``@answer(function)`` or diagnosis builder marked ``@kit_only`` (``gradkit/answers.py``)
keeps its name in the student bundle and loses its body. A reference becomes a look-up of
the values the real one gave on the fixed worked examples, recorded when the bundle is
built by grading the kit's solutions (``checks/answers.json``); any other call skips its
check, which the instructor's grading runs (the function is then provisional). A diagnosis
builder returns no diagnoses.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
ENGINE = ["gradkit", "checks", "pyproject.toml", "README.md", "Makefile", ".gitignore"]
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}
# The student bundle: the stubs and their notebooks too, and a README written for students
# (set-up, running gradkit, reading the report) in place of this kit's.
STUDENT_EXTRA = ["exercises", "notebooks"]
STUDENT_README = "docs/student/README.md"
ANSWERS = "checks/answers.json"  # the worked examples' answers, in the student bundle only


class BundleError(RuntimeError):
    """The kit cannot be bundled as it is (a marker the bundle cannot replace)."""


MARKERS = {"answer", "kit_only"}


def _marker(decorator: ast.expr) -> tuple[str, str | None] | None:
    """("answer", function) for ``@answer("f")``, ("kit_only", None) for ``@kit_only``."""
    call = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = call.attr if isinstance(call, ast.Attribute) else getattr(call, "id", None)
    if name not in MARKERS:
        return None
    if name == "answer":
        args = decorator.args if isinstance(decorator, ast.Call) else []
        if len(args) != 1 or not isinstance(args[0], ast.Constant):
            raise BundleError("@answer takes the function's name as a string literal")
        return name, str(args[0].value)
    return name, None


def _stub(rel: str, name: str, kind: str, function: str | None) -> str:
    if kind == "kit_only":
        return (f"def {name}(*args, **kwargs):\n"
                f"    \"\"\"Not in the student bundle (its wrong formulas are one edit from an "
                f"answer): no diagnoses here.\"\"\"\n"
                f"    return []\n")
    return (f"def {name}(*args, **kwargs):\n"
            f"    \"\"\"Not in the student bundle: the answer to {function}. The values it gave on "
            f"the worked examples are in checks/answers.json; any other call skips its check.\"\"\"\n"
            f"    from gradkit.answers import precomputed\n"
            f"    return precomputed({rel + '::' + name!r}, {function!r}, args, kwargs)\n")


def marked(source: str) -> dict[str, tuple[str, str | None]]:
    """Every function of ``source`` with a marker: name -> (kind, function answered)."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            marks = [m for m in map(_marker, node.decorator_list) if m is not None]
            if marks:
                found[node.name] = marks[0]
    return found


def student_source(rel: str, source: str) -> str:
    """``source`` of the file ``rel`` as the student bundle carries it: every marked
    function replaced by its stub (a marked function nested in another is refused: its
    body could not be replaced on its own)."""
    lines = source.splitlines(keepends=True)
    spans = []
    tree = ast.parse(source)
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        marks = [m for m in map(_marker, node.decorator_list) if m is not None]
        if not marks:
            continue
        if id(node) not in top:
            raise BundleError(f"{rel}: {node.name} is marked but not at the top of its module")
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        assert node.end_lineno is not None
        spans.append((start, node.end_lineno, _stub(rel, node.name, *marks[0])))
    for start, end, stub in sorted(spans, key=lambda span: -span[0]):
        lines[start - 1:end] = [stub]
    return "".join(lines)


def _files(entries: Iterable[str], exclude: tuple[str, ...] = ()) -> list[Path]:
    found = []
    for entry in entries:
        path = KIT / entry
        paths = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for p in paths:
            rel = p.relative_to(KIT)
            if SKIP_PARTS & set(rel.parts) or any(str(rel).startswith(x) for x in exclude):
                continue
            found.append(p)
    return found


def _write(zip_path: Path, members: dict[str, Path], extra: Mapping[str, str] | None = None,
           transform: Callable[[str, str], str | None] | None = None) -> Path:
    """``transform(rel, text)``: what the zip holds for the kit file ``rel`` instead of its
    text, or None to keep it as it is."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in sorted(members.items()):
            info = zipfile.ZipInfo.from_file(path, name)
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()  # writestr(info) keeps the mode bits (executables stay so)
            if transform is not None and path.suffix == ".py":
                changed = transform(str(path.relative_to(KIT)), data.decode("utf-8"))
                data = data if changed is None else changed.encode("utf-8")
            zf.writestr(info, data)
        for name, text in (extra or {}).items():
            zf.writestr(name, text)
    return zip_path


def autograder(out: Path, torch_index: str | None = None) -> Path:
    """``torch_index``: where setup.sh takes torch from: None for PyTorch's CPU build (the
    default), "default" for pip's default index (the CUDA build), or an index URL (a mirror)."""
    members = {str(p.relative_to(KIT)): p for p in _files(ENGINE)}
    for script in ("setup.sh", "run_autograder"):
        members[script] = KIT / "lms" / "gradescope" / script
    extra = {"torch-index.txt": torch_index + "\n"} if torch_index else {}
    name, text = record_plan()  # every submission then skips drawing what it passes
    extra[f"{PLAN_FOLDER}/{name}"] = text
    return _write(out, members, extra)


PLAN_FOLDER = "plan"  # in the autograder zip: run_autograder points GRADKIT_PLAN_DIR at it


_PLANS: dict[str, tuple[str, str]] = {}


def record_plan() -> tuple[str, str]:
    """The grading plan (gradkit/plan.py) of the kit's solutions, drawn in a fresh process
    (once per kit version in this process): its file name and text. Inputs only; for the
    autograder, where every submission is graded in a fresh container that could not keep
    a plan of its own."""
    from gradkit import plan
    version = plan.digest()
    if version not in _PLANS:
        _PLANS[version] = _draw_plan()
    return _PLANS[version]


def _draw_plan() -> tuple[str, str]:
    with tempfile.TemporaryDirectory(prefix="gradkit-plan-") as folder:
        env = {**os.environ, "GRADKIT_PLAN_DIR": folder, "GRADKIT_PLAN": "on", "GRADKIT_LANG": "en"}
        done = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(KIT / "solutions"),
                               "--json", str(Path(folder) / "result.json")],
                              cwd=KIT, env=env, capture_output=True, text=True)
        made = sorted(Path(folder).glob("plan-*.json"))
        if done.returncode != 0 or len(made) != 1:
            raise BundleError(f"drawing the grading plan failed:\n{done.stderr[-3000:]}")
        return made[0].name, made[0].read_text(encoding="utf-8")


def _student_transform(rel: str, text: str) -> str | None:
    return student_source(rel, text) if rel.startswith("checks/") else None


def record_answers() -> dict[str, object]:
    """What the marked references give on the worked examples: the kit's solutions graded
    (pictures too) in a fresh process, with few drawn examples (none of them is kept)."""
    with tempfile.TemporaryDirectory(prefix="gradkit-answers-") as folder:
        out = Path(folder) / "answers.json"
        env = {**os.environ, "GRADKIT_EXAMPLES": "3", "GRADKIT_LANG": "en"}
        done = subprocess.run([sys.executable, "-m", "gradkit.bundle", "record", "--out", str(out)],
                              cwd=KIT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BundleError(f"recording the worked examples' answers failed:\n{done.stderr[-3000:]}")
        data: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
        return data


def _record(out: Path) -> None:
    from gradkit import answers, runner
    with answers.recording() as found:
        runner.grade(str(KIT / "solutions"), pictures=True, lang="en")
    kept = {k: v for k, v in sorted(found.items()) if v is not None and _worked_example(k)}
    out.write_text(json.dumps(kept, indent=0, sort_keys=True), encoding="utf-8")


def _worked_example(key: str) -> bool:
    """Only the worked examples' values ship (what the docstrings already say): a check
    named ``*worked_example*``, or a picture (each drawn on its function's worked example)."""
    check = key.split(" ")[1]
    return "worked_example" in check or check.startswith("checks/pictures.py::")


def student(out: Path, answers: dict[str, object] | None = None) -> Path:
    """``answers``: what ``record_answers()`` gives (recorded here when None)."""
    files = _files(ENGINE + STUDENT_EXTRA, exclude=("checks/hidden", "checks/answers.json"))
    sources = {str(p.relative_to(KIT)): p.read_text(encoding="utf-8") for p in files
               if p.suffix == ".py" and str(p.relative_to(KIT)).startswith("checks/")}
    for rel, text in sources.items():  # a marker the bundle cannot replace fails first
        student_source(rel, text)
    recorded = record_answers() if answers is None else answers
    extra = {"gradkit-student/" + ANSWERS: json.dumps(recorded, sort_keys=True)}
    members = {str(Path("gradkit-student") / p.relative_to(KIT)): p for p in files}
    members["gradkit-student/README.md"] = KIT / STUDENT_README  # the students' own README
    return _write(out, members, extra, transform=_student_transform)


def torch_choice(env: Mapping[str, str] | None = None) -> str | None:
    """``GRADKIT_TORCH=cuda`` (pip's default index, the CUDA build) or
    ``GRADKIT_TORCH_INDEX=<index URL>``; neither: PyTorch's CPU build."""
    env = os.environ if env is None else env
    if env.get("GRADKIT_TORCH_INDEX"):
        return env["GRADKIT_TORCH_INDEX"]
    choice = (env.get("GRADKIT_TORCH") or "cpu").lower()
    if choice not in ("cpu", "cuda"):
        raise SystemExit(f"GRADKIT_TORCH={choice!r}: choose cpu (the default) or cuda")
    return "default" if choice == "cuda" else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradkit.bundle")
    parser.add_argument("kind", choices=["autograder", "student", "record"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.kind == "record":  # the worked examples' answers, for student()
        _record(Path(args.out))
        return 0
    if args.kind == "autograder":
        path = autograder(Path(args.out), torch_choice())
    else:
        path = student(Path(args.out))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
