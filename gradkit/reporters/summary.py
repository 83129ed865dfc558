"""A function's verdict as plain text or Markdown, for the LMS formats.

Read-only over the results model: the first failing check (message, smallest
failing input, expected and got), the likely mistake and where to get a hint.
"""

from __future__ import annotations

import re

from ..i18n import misconception, text
from ..results import CheckResult, FunctionResult

SILENT_KINDS = ("not_implemented", "missing_module", "missing_function")


def function_text(fn: FunctionResult, lang: str, markdown: bool = False,
                  checks: list[CheckResult] | None = None) -> str:
    """``checks``: the subset to describe (default: all of the function's)."""
    failed = [c for c in (checks if checks is not None else fn.checks) if c.outcome == "failed"]
    if not failed:
        return text("lms.all_passed", lang)
    # A diagnosis only beside the counterexample it was computed on.
    from .terminal import shown_check
    first = shown_check(failed)
    code = md_code if markdown else (lambda s: s)
    lines = [md_text(first.message) if markdown else first.message]
    if first.error_kind not in SILENT_KINDS:
        graph = (first.inputs or {}).get("graph")
        if graph:
            lines.append(f"{text('report.graph', lang)}:")
            lines.append(md_block(graph) if markdown else graph)
        if first.call:
            lines.append(f"{text('report.smallest', lang)}: {code(first.call)}")
        if first.expected is not None or first.got is not None:
            lines.append(f"{text('report.expected', lang)}: {code(first.expected or '')}")
            lines.append(f"{text('report.got', lang)}: {code(first.got or '')}")
        mid = first.misconception
        if mid:
            label = text("report.diagnosis", lang)
            lines.append(f"**{label}:** {misconception(mid, lang)}" if markdown
                         else f"{label}: {misconception(mid, lang)}")
        from .terminal import explanation
        lines += [line for label, line in explanation(first, lang)[1 if mid else 0:]]
        lines.append(text("report.hint", lang, function=fn.function))
    return ("\n\n" if markdown else "\n").join(lines)


# Markdown's own punctuation: escaped in student text, it shows as itself and can make no
# link, image, HTML tag, emphasis, heading or table in a Gradescope page.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~=-])")


def md_text(s: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", s)


def md_code(s: str) -> str:
    """``s`` as a code span no backtick inside it can close."""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def md_block(s: str) -> str:
    """``s`` as a fenced code block no line inside it can close."""
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", s)), default=0) + 1)
    return f"{fence}\n{s}\n{fence}"


def cut(text_: str, limit: int, lang: str) -> str:
    """``text_`` shortened to at most ``limit`` bytes of UTF-8, saying so."""
    data = text_.encode("utf-8")
    if len(data) <= limit:
        return text_
    note = "\n" + text("lms.output_cut", lang)
    return data[:max(0, limit - len(note.encode()) - 4)].decode("utf-8", "ignore") + note
