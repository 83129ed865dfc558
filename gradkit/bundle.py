"""`make autograder` and `make student`: the zips an instructor hands out.

The autograder zip (Gradescope) holds setup.sh and run_autograder at its root and
the kit beside them: the engine, every check including the hidden ones, no
solutions and no kit tests. The student bundle holds what a student needs to
practise with `make check`: the stubs, the engine and the public checks; no
solutions, no hidden checks, no kit tests (its mutants are near-solutions).

Some public checks compute their expected value with code that is itself the answer
(the breadth-first walk behind grad_fn_names, the SGD loop, least squares, ridge). The
student bundle carries none of it: each such reference (``WITHHELD``) is replaced by a
call to ``gradkit.testing.withheld``, so the checks that need it are skipped there,
saying so, and run when the instructor grades; gradient descent's reference becomes a
``torch.optim`` loop (``REPLACED``), which the rules forbid in a submission.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
ENGINE = ["gradkit", "checks", "pyproject.toml", "README.md", "Makefile", ".gitignore"]
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}


# Reference helpers in the public checks that are the answer to a function: file -> {helper:
# the function it answers}. The student bundle replaces each by a skip.
WITHHELD: dict[str, dict[str, str]] = {
    "checks/graph_leaves.py": {"_walk": "grad_fn_names"},
    "checks/gd_loop.py": {"sgd_ref": "minibatch_sgd", "sgd_step": "minibatch_sgd",
                          "ls_ref": "least_squares", "ridge_ref": "ridge",
                          "ridge_diagnoses": "ridge"},  # its wrong formula is one eye() away
}

# References the student bundle replaces by one a submission may not use.
REPLACED: dict[str, dict[str, str]] = {
    "checks/gd_loop.py": {"gd_ref": '''
def gd_ref(x, y, w0, b0, lr, steps, *, record_after=False, accumulate=False):
    """Gradient descent with torch.optim.SGD, which gradient_descent may not use (the
    student bundle's reference); the keywords give the two known wrong versions."""
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        if not accumulate:
            optimizer.zero_grad()
        loss = ((w * x + b - y) ** 2).mean()
        if not record_after:
            losses.append(loss.detach())
        loss.backward()
        optimizer.step()
        if record_after:
            with torch.no_grad():
                losses.append(((w * x + b - y) ** 2).mean())
    return w.detach(), b.detach(), torch.stack(losses)
'''},
}


class BundleError(RuntimeError):
    """The kit and the bundle's lists disagree (a withheld helper was renamed)."""


def _withheld_stub(name: str, function: str) -> str:
    return (f"def {name}(*args, **kwargs):\n"
            f"    \"\"\"Not in the student bundle: the answer to {function}.\"\"\"\n"
            f"    from gradkit.testing import withheld\n"
            f"    withheld({function!r})\n")


def student_source(rel: str, source: str) -> str:
    """``source`` of the file ``rel`` as the student bundle carries it."""
    swaps = {name: _withheld_stub(name, fn) for name, fn in WITHHELD.get(rel, {}).items()}
    swaps.update({name: code.strip("\n") + "\n" for name, code in REPLACED.get(rel, {}).items()})
    if not swaps:
        return source
    lines = source.splitlines(keepends=True)
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in swaps:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found[node.name] = (start, node.end_lineno)
    missing = set(swaps) - set(found)
    if missing:
        raise BundleError(f"{rel} no longer defines {', '.join(sorted(missing))}: update "
                          f"WITHHELD/REPLACED in gradkit/bundle.py")
    for name, (start, end) in sorted(found.items(), key=lambda item: -item[1][0]):
        lines[start - 1:end] = [swaps[name]]
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


def _write(zip_path: Path, members: dict[str, Path], extra: dict[str, str] | None = None,
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
    extra = {"torch-index.txt": torch_index + "\n"} if torch_index else None
    return _write(out, members, extra)


def _student_transform(rel: str, text: str) -> str | None:
    return student_source(rel, text) if rel in WITHHELD or rel in REPLACED else None


def student(out: Path) -> Path:
    files = _files(ENGINE + ["exercises"], exclude=("checks/hidden",))
    for rel in set(WITHHELD) | set(REPLACED):  # a stale list fails before anything is written
        student_source(rel, (KIT / rel).read_text(encoding="utf-8"))
    return _write(out, {str(Path("gradkit-student") / p.relative_to(KIT)): p for p in files},
                  transform=_student_transform)


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
    parser.add_argument("kind", choices=["autograder", "student"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.kind == "autograder":
        path = autograder(Path(args.out), torch_choice())
    else:
        path = student(Path(args.out))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
