"""What a student has seen so far, kept in ``.gradkit/`` of the current folder:
the last `gradkit check` result (for `gradkit list`) and the hints already shown."""

from __future__ import annotations

import json
import os
from pathlib import Path

STATE = Path(".gradkit")


def _read(name: str) -> dict:
    try:
        return json.loads((STATE / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write(name: str, data: dict) -> None:
    try:
        STATE.mkdir(exist_ok=True)
        tmp = STATE / f"{name}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, STATE / name)
    except OSError:
        pass  # a read-only folder loses the convenience, never the grade


def save_scores(result) -> None:
    """Remember each function's score from a `gradkit check` run (merged with earlier runs)."""
    scores = _read("scores.json")
    for fn in result.functions:
        scores[f"{fn.topic}.{fn.function}"] = [fn.score, fn.max_score]
    _write("scores.json", scores)


def scores() -> dict:
    return _read("scores.json")


def next_hint(function: str, total: int, reset: bool = False) -> int | None:
    """The index of the next unseen hint of ``function`` (and remember it), or None."""
    seen = _read("hints.json")
    shown = 0 if reset else int(seen.get(function, 0))
    if shown >= total:
        return None
    seen[function] = shown + 1
    _write("hints.json", seen)
    return shown
