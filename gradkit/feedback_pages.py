"""Per-student feedback pages, ready to release: the student's own HTML report
(``reporters/html_report``), in the language their results were written in, beside
their results file (``<student>.html`` next to ``<student>.json``).

It is the student's view: hidden checks keep their inputs and values to themselves
(``result.public``), and the instructor-only flags and scan findings are not on it
(the HTML report never shows them). The page names the student by their submission's
name, never by the instructor's path to it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from . import i18n, inert
from .reporters import html_report
from .results import GradeResult


def student_view(student: str, result: GradeResult) -> GradeResult:
    lang = result.language if result.language in i18n.LANGS else "en"
    shown = result.public(i18n.text("hidden.failed", lang))
    return replace(shown, submission=inert.line(student), language=lang)


def write(student: str, result: GradeResult, folder: Path) -> Path:
    """``folder/<student>.html``, written whole or not at all."""
    path = folder / f"{student}.html"
    tmp = folder / f".{student}.html.tmp"
    tmp.write_text(html_report.page(student_view(student, result)), encoding="utf-8")
    os.replace(tmp, path)
    return path
