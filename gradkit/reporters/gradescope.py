"""Gradescope's results.json (the autograder specification's format).

One test per function and visibility: a function's public checks make a visible
test; its hidden checks (checks/hidden/) a test shown ``after_published``, so
their inputs and expected values reach the student only once grades are out.
The two parts' scores add up to the function's score.
"""

from __future__ import annotations

from typing import Any

from .. import catalog
from ..i18n import text
from ..results import GradeResult
from .summary import function_text

OUTPUT_LIMIT = 60_000  # per test; Gradescope shows long outputs poorly


def to_dict(result: GradeResult) -> dict[str, Any]:
    lang = result.language
    tests, number = [], 0
    for fn in result.functions:
        topic = catalog.topic(fn.topic)
        parts = fn.split()
        for hidden in (False, True):
            checks = [c for c in fn.checks if c.hidden == hidden]
            if not checks:
                continue
            number += 1
            score, max_score = parts[hidden]
            failed = [c for c in checks if c.outcome == "failed"]
            name = f"{fn.topic}.{fn.function}"
            tests.append({
                "name": text("hidden.suffix", lang, function=name) if hidden else name,
                "number": f"{number}",
                "score": score,
                "max_score": max_score,
                "status": "failed" if failed else "passed",
                "output": function_text(fn, lang, markdown=True, checks=checks)[:OUTPUT_LIMIT],
                "output_format": "md",
                "tags": [fn.topic, topic.title_zh],
                "visibility": "after_published" if hidden else "visible",
                "extra_data": {
                    "misconceptions": sorted({c.misconception for c in failed if c.misconception}),
                    "failed_checks": [c.name for c in failed],
                    "seeds": "derandomized hypothesis: fixed per check",
                },
            })
    summary = text("lms.summary", lang, score=f"{result.score:g}", max=f"{result.max_score:g}")
    return {
        "score": result.score,
        "execution_time": round(result.execution_time_s, 3),
        "output": "\n".join([summary, *result.notes, *_isolation(result, lang)]),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _isolation(result: GradeResult, lang: str) -> list[str]:
    """The isolation level the student code ran under, as one line (none if unknown)."""
    level = ((result.environment or {}).get("isolation") or {}).get("level")
    return [text("report.isolation", lang, level=level)] if level else []
