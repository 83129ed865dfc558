"""What a student has seen so far, kept in ``.gradkit/`` of the current folder:
the last `gradkit check` result (for `gradkit list`) and the hints already shown."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .results import FunctionResult, GradeResult

STATE = Path(".gradkit")


def _read(name: str) -> dict[str, Any]:
    try:
        return json.loads((STATE / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write(name: str, data: dict[str, Any]) -> None:
    try:
        STATE.mkdir(exist_ok=True)
        tmp = STATE / f"{name}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, STATE / name)
    except OSError:
        pass  # a read-only folder loses the convenience, never the grade


def _target_key(target: str | None) -> str:
    return os.path.realpath(target or "exercises")


def save_scores(result: GradeResult, target: str | None = None) -> None:
    """Remember each function's score from a `gradkit check` run of ``target`` (merged with
    earlier runs of the same folder; each graded folder has its own progress)."""
    data = _read("scores.json")
    stored = data.get("targets")
    by_target: dict[str, Any] = stored if isinstance(stored, dict) else {}
    scores = by_target.setdefault(_target_key(target), {})
    for fn in result.functions:
        # then flags: "provisional" (checks only the instructor's grading runs), "not_started"
        # (every check that ran met the stub's NotImplementedError, or no function at all)
        flags = (["provisional"] if fn.provisional else []) + (
            ["not_started"] if not_started(fn) else [])
        scores[f"{fn.topic}.{fn.function}"] = [fn.score, fn.max_score] + flags
    _write("scores.json", {"targets": by_target})


NOT_WRITTEN = {"not_implemented", "missing_function", "missing_module"}


def not_started(fn: FunctionResult) -> bool:
    """Did every check that ran meet a function not written yet (the stub's
    NotImplementedError, or no such function)?"""
    ran = [c for c in fn.checks if not c.skipped]
    return bool(ran) and all(not c.passed and c.error_kind in NOT_WRITTEN for c in ran)


def function_state(entry: list[Any] | None) -> str:
    """A function's state from its stored entry: "passed", "failed", "provisional" (nothing
    failed, but some checks run only when the instructor grades) or "not_started"."""
    if not entry or "not_started" in entry[2:]:
        return "not_started"
    if entry[0] >= entry[1]:
        return "provisional" if "provisional" in entry[2:] else "passed"
    return "failed"


def scores(target: str | None = None) -> dict[str, Any]:
    """The scores last seen for ``target`` (default: exercises)."""
    data = _read("scores.json")
    by_target = data.get("targets")
    if isinstance(by_target, dict):
        return by_target.get(_target_key(target), {})
    return data if target is None else {}  # a file from before progress was kept per folder


def next_hint(function: str, total: int, reset: bool = False) -> int | None:
    """The index of the next unseen hint of ``function`` (and remember it), or None."""
    seen = _read("hints.json")
    shown = 0 if reset else int(seen.get(function, 0))
    if shown >= total:
        return None
    seen[function] = shown + 1
    _write("hints.json", seen)
    return shown
