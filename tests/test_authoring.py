"""docs/authoring.md's worked example, done for real: in a temporary copy of the kit, add
the guide's throwaway function through its marked steps, then run the guard rails and a
grading of that topic there. And without its zh hint, or without its rule-check entry,
the guard rails stop at collection naming what is missing."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradkit import catalog
from tests.kit import KIT

GUIDE = KIT / "docs" / "authoring.md"
STEP = re.compile(r"<!-- step: (?P<what>[^\n]*?) -->\n(?:```\w*\n(?P<code>.*?)```)?", re.S)
QUICK_TESTS = ["tests/test_guard_rails.py", "tests/test_catalog.py", "tests/test_texts.py"]


def steps() -> list[tuple[str, str]]:
    found = [(m["what"].strip(), m["code"] or "") for m in STEP.finditer(GUIDE.read_text("utf-8"))]
    assert found, "docs/authoring.md has no marked steps"
    return found


def copy_kit(into: Path) -> Path:
    """The kit's files (tracked, and new ones not ignored), without venvs or build outputs."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=KIT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("the kit is not a git checkout: nothing tells its files from outputs")
    for rel in filter(None, listed.stdout.split("\0")):
        source = KIT / rel
        if source.is_file():
            (into / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / rel)
    return into


def _insert_into_topic(source: str, topic: str, entry: str) -> str:
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_topic"
                and node.args and getattr(node.args[0], "value", None) == topic):
            last = node.args[-1]
            lines = source.splitlines(keepends=True)
            line = lines[last.end_lineno - 1]
            indent = " " * last.col_offset
            lines[last.end_lineno - 1] = (line[:last.end_col_offset] + ",\n" + indent + entry
                                          + line[last.end_col_offset:])
            return "".join(lines)
    raise AssertionError(f"gradkit/catalog.py has no _topic({topic!r}, ...)")


def _insert_into_dict(source: str, names: tuple[str, ...], entry: str) -> str:
    for node in ast.parse(source).body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and getattr(node.targets[0], "id", "") in names):
            lines = source.splitlines(keepends=True)
            closing = node.value.end_lineno - 1
            lines.insert(closing, "    " + entry.strip() + "\n")
            return "".join(lines)
    raise AssertionError(f"no {' or '.join(names)} = {{...}} found")


def apply(kit: Path, skip: tuple[str, ...] = ()) -> None:
    """Do the guide's steps in ``kit``; a step whose description starts with one of
    ``skip`` is left out, and a hints step loses its ``zh`` line when "zh hints" is."""
    added = None
    for what, code in steps():
        kind, _, rest = what.partition(" ")
        if any(what.startswith(s) for s in skip):
            continue
        if kind == "catalog":
            path = kit / "gradkit" / "catalog.py"
            path.write_text(_insert_into_topic(path.read_text("utf-8"), rest, code.strip()), "utf-8")
            added = (rest, ast.literal_eval(code.strip()))
        elif kind == "append":
            path = kit / rest
            if "zh hints" in skip and path.name == "hints.toml":
                code = re.sub(r"^zh = \[.*?\]\n", "", code, flags=re.S | re.M)
            path.write_text(path.read_text("utf-8").rstrip("\n") + "\n\n\n" + code, "utf-8")
        elif kind == "insert":
            target, _, marker = rest.partition(" before: ")
            path = kit / target
            text = path.read_text("utf-8")
            at = text.index("\n" + marker) + 1
            path.write_text(text[:at] + code + text[at:], "utf-8")
        elif kind == "samples":
            path = kit / rest
            path.write_text(_insert_into_dict(path.read_text("utf-8"), ("SAMPLES", "SAMPLE_ARGS"),
                                              code), "utf-8")
        elif kind == "create":
            (kit / rest).parent.mkdir(parents=True, exist_ok=True)
            (kit / rest).write_text(code, "utf-8")
        elif kind == "readme":
            assert added and added[0] == rest, "the catalog step comes before the README's"
            points = catalog.total_points([rest]) + added[1][2]
            path = kit / "README.md"
            text, n = re.subn(rf"^(\| `{rest}` [^|]*\|[^|]*\| )[\d.]+( \|)$",
                              rf"\g<1>{points:g}\g<2>", path.read_text("utf-8"), flags=re.M)
            assert n == 1, f"README.md has no row for {rest}"
            path.write_text(text, "utf-8")
        else:
            raise AssertionError(f"docs/authoring.md: unknown step {what!r}")


def _env(kit: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(kit), "GRADKIT_LANG": "en", "GRADKIT_EXAMPLES": "5",
            "GRADKIT_SANDBOX_UIDS": "off", "PYTHONDONTWRITEBYTECODE": "1"}


def _pytest(kit: Path, *tests: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                          cwd=kit, env=_env(kit), capture_output=True, text=True, timeout=300)


@pytest.fixture
def kit(tmp_path):
    return copy_kit(tmp_path / "kit")


def _new_function() -> tuple[str, str]:
    (topic, entry), = [(what.split()[1], code) for what, code in steps()
                       if what.startswith("catalog ")]
    return topic, ast.literal_eval(entry.strip())[0]


def test_the_guides_worked_example_passes_the_guard_rails_and_grades(kit):
    topic, name = _new_function()
    apply(kit)
    done = _pytest(kit, *QUICK_TESTS)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    # The topic graded in the copy: the solutions get full marks, and the guide's mutant
    # loses points on the new function only, named by its misconception.
    (mutant,) = [p for p in (kit / "tests" / "mutants" / topic).glob("*.py")
                 if f'BREAKS = "{name}"' in p.read_text("utf-8")]
    wrong = kit / "wrong"
    shutil.copytree(kit / "solutions", wrong)
    with open(wrong / f"{topic}.py", "a", encoding="utf-8") as fh:
        fh.write("\n\n" + mutant.read_text("utf-8"))
    jobs = [{"folder": str(kit / "solutions"), "topics": [topic], "out": str(kit / "right.json")},
            {"folder": str(wrong), "topics": [topic], "out": str(kit / "wrong.json")}]
    (kit / "jobs.json").write_text(json.dumps(jobs))
    graded = subprocess.run([sys.executable, "tests/grade_jobs.py", "jobs.json"], cwd=kit,
                            env=_env(kit), capture_output=True, text=True, timeout=300)
    assert graded.returncode == 0, graded.stderr[-3000:]
    right = json.loads((kit / "right.json").read_text())
    assert right["score"] == right["max_score"] > 0
    assert name in [f["function"] for f in right["functions"]]
    for fn in json.loads((kit / "wrong.json").read_text())["functions"]:
        if fn["function"] == name:
            assert fn["score"] < fn["max_score"]
            assert {c["misconception"] for c in fn["checks"]} >= {"value_for_derivative"}
        else:
            assert fn["score"] == fn["max_score"], fn["function"]


@pytest.mark.parametrize("left_out, says", [
    ("zh hints", "add its zh hints to gradkit/texts/hints.toml"),
    ("samples", "no rule check covers it: add it to SAMPLE_ARGS"),
])
def test_a_function_missing_a_piece_stops_collection_saying_what_to_add(kit, left_out, says):
    topic, name = _new_function()
    apply(kit, skip=(left_out,))
    done = _pytest(kit, "tests/test_guard_rails.py")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "error" in out.lower() and "collecting" in out.lower(), out[-3000:]
    assert f"{topic}.{name}: {says}" in out, out[-3000:]
