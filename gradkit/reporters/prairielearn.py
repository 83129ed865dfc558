"""PrairieLearn's external-grader results.json.

``score`` is a fraction in [0, 1]; every test has points and max_points. Hidden
checks are shown redacted (PrairieLearn has no per-test visibility). The whole
file stays under PrairieLearn's 1 MB limit, whatever the submission printed.
"""

from __future__ import annotations

import json
from typing import Any

from ..i18n import text
from ..results import GradeResult
from .summary import cut, function_text

MAX_BYTES = 1_000_000
TEST_OUTPUT_LIMIT = 20_000


def _isolation(result: GradeResult, lang: str) -> list[str]:
    level = ((result.environment or {}).get("isolation") or {}).get("level")
    return [text("report.isolation", lang, level=level)] if level else []


def to_dict(result: GradeResult, gradable: bool = True) -> dict[str, Any]:
    lang = result.language
    public = result.public(text("hidden.failed", lang))
    tests: list[dict[str, Any]] = [{
        "name": f"{fn.topic}.{fn.function}",
        "description": fn.function,
        "points": fn.score,
        "max_points": fn.max_score,
        "message": (fn.failed[0].message if fn.failed else text("lms.all_passed", lang))[:2000],
        "output": cut(function_text(fn, lang), TEST_OUTPUT_LIMIT, lang),
    } for fn in public.functions]
    score = result.score / result.max_score if result.max_score else 0.0
    data = {
        "gradable": gradable,
        "score": round(min(1.0, max(0.0, score)), 6),
        "message": text("lms.summary", lang, score=f"{result.score:g}", max=f"{result.max_score:g}"),
        "output": "\n".join([*result.notes, *_isolation(result, lang)]),
        "tests": tests,
    }
    while len(json.dumps(data).encode()) > MAX_BYTES and any(t["output"] for t in tests):
        longest = max(tests, key=lambda t: len(t["output"]))
        longest["output"] = cut(longest["output"], len(longest["output"].encode()) // 2, lang)
    return data
