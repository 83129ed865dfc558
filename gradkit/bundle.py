"""`make autograder` and `make student`: the zips an instructor hands out.

The autograder zip (Gradescope) holds setup.sh and run_autograder at its root and
the kit beside them: the engine, every check including the hidden ones, no
solutions and no kit tests. The student bundle holds what a student needs to
practise with `make check`: the stubs, the engine and the public checks; no
solutions, no hidden checks, no kit tests (its mutants are near-solutions).
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
ENGINE = ["gradkit", "checks", "pyproject.toml", "README.md", "Makefile", ".gitignore"]
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}


def _files(entries, exclude=()) -> list[Path]:
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


def _write(zip_path: Path, members: dict[str, Path], extra: dict[str, str] | None = None) -> Path:
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in sorted(members.items()):
            info = zipfile.ZipInfo.from_file(path, name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())  # keeps the mode bits (executables stay so)
        for name, text in (extra or {}).items():
            zf.writestr(name, text)
    return zip_path


def autograder(out: Path, torch_index: str | None = None) -> Path:
    members = {str(p.relative_to(KIT)): p for p in _files(ENGINE)}
    for script in ("setup.sh", "run_autograder"):
        members[script] = KIT / "lms" / "gradescope" / script
    extra = {"torch-index.txt": torch_index + "\n"} if torch_index else None
    return _write(out, members, extra)


def student(out: Path) -> Path:
    files = _files(ENGINE + ["exercises"], exclude=("checks/hidden",))
    return _write(out, {str(Path("gradkit-student") / p.relative_to(KIT)): p for p in files})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradkit.bundle")
    parser.add_argument("kind", choices=["autograder", "student"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.kind == "autograder":
        path = autograder(Path(args.out), os.environ.get("TORCH_CPU_INDEX") or None)
    else:
        path = student(Path(args.out))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
