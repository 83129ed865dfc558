"""The results file an LMS reads, in the format it wants, always written.

``write(result, fmt, path)`` after a grading run; ``write_failure(fmt, why, path)``
when grading could not run at all, so the LMS still gets a valid file saying why.
Hidden checks are redacted everywhere except where the LMS itself hides them
(Gradescope's ``after_published``), unless an instructor asks to reveal them.
"""

from __future__ import annotations

import json

from ..i18n import language, text
from ..results import GradeResult
from . import gradescope, json_report, junit, prairielearn

FORMATS = ("json", "gradescope", "prairielearn", "junit")


def render(result: GradeResult, fmt: str, reveal_hidden: bool = False) -> str:
    if fmt == "json":
        shown = result if reveal_hidden else result.public(text("hidden.failed", result.language))
        return json_report.render(shown)
    if fmt == "gradescope":
        return json.dumps(gradescope.to_dict(result), indent=1, ensure_ascii=False)
    if fmt == "prairielearn":
        return json.dumps(prairielearn.to_dict(result), ensure_ascii=False)
    if fmt == "junit":
        return junit.to_xml(result).decode("utf-8")
    raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")


def write(result: GradeResult, fmt: str, path: str, reveal_hidden: bool = False) -> None:
    json_report.write_text(render(result, fmt, reveal_hidden), path)


def write_failure(fmt: str, why: str, path: str, submission: str = "") -> None:
    """A valid, zero-score results file in ``fmt`` whose message says why."""
    message = text("lms.not_gradable", detail=why)
    result = GradeResult(submission=submission, functions=[], notes=[message],
                         language=language())
    if fmt == "prairielearn":
        data = prairielearn.to_dict(result, gradable=False)
        data["message"] = message
        json_report.write_text(json.dumps(data, ensure_ascii=False), path)
        return
    write(result, fmt, path)
