"""The human report: per topic and function, points and verdict; for the first
failing check of each function, what went wrong in plain words, the likely
mistake, where to get a hint, and the student's graph as text. Total last."""

from __future__ import annotations

from typing import Any
import re

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape

from .. import catalog
from ..i18n import misconception, text
from ..results import PASSED, PROVISIONAL, CheckResult, FunctionResult, GradeResult
from .summary import SILENT_KINDS

MARK = {PASSED: "[green]✓[/]", "partial": "[yellow]~[/]", "failed": "[red]✗[/]",
        PROVISIONAL: "[yellow]?[/]"}


def render(result: GradeResult, console: Console | None = None, target: str | None = None,
           html: str | None = None) -> None:
    """``html``: the path of the HTML report written next to this one, if any."""
    console = console or Console(highlight=False, soft_wrap=True)
    lang = result.language
    console.print(f"[bold]gradkit[/] · {escape(text('report.grading', lang, target=target or result.submission))}")
    for name in dict.fromkeys(f.topic for f in result.functions):
        topic = catalog.topic(name)
        fns = [f for f in result.functions if f.topic == name]
        score, total = sum(f.score for f in fns), sum(f.max_score for f in fns)
        title = topic.title_zh if lang == "zh" else f"{topic.title} ({topic.title_zh})"
        console.print(f"\n[bold]{name}[/] — {title}  {_points(score)} / {_points(total)}")
        said: set[str] = set()  # module-wide errors already shown for this topic
        for fn in fns:
            _function(console, fn, lang, html, said)
    console.print()
    for note in result.notes:
        console.print(f"[dim]{text('report.note', lang)}: {escape(note)}[/]")
    if html:
        console.print(text("report.html_written", lang, path=html))
    isolation = (result.environment or {}).get("isolation") or {}
    if isolation.get("level"):
        console.print(f"[dim]{escape(text('report.isolation', lang, level=isolation['level']))}[/]")
    colour = "green" if result.all_passed else "yellow" if result.score else "red"
    console.print(f"[bold {colour}]{text('report.total', lang)}: "
                  f"{_points(result.score)} / {_points(result.max_score)}[/]")


MODULE_KINDS = ("syntax_error", "import_error", "missing_module")  # one message per file


def _function(console: Console, fn: FunctionResult, lang: str, html: str | None,
              said: set | None = None) -> None:
    ran = [c for c in fn.checks if not c.skipped]
    passed = sum(c.passed for c in ran)
    checks = text("report.checks", lang, passed=passed, ran=len(ran))
    console.print(f"  {MARK[fn.status]} {fn.function:<22} {_points(fn.score):>5} / "
                  f"{_points(fn.max_score):<3}  [dim]{escape(checks)}[/]")
    if fn.provisional:  # some checks only the instructor's grading runs
        console.print(f"      [yellow]{escape(text('report.provisional', lang))}[/]")
    if not fn.failed:
        return
    # The check shown is the first one a named mistake explains (its diagnosis was computed
    # on its own counterexample), else the first failed one: never one check's diagnosis
    # beside another check's counterexample.
    first = shown_check(fn.failed)
    if first.error_kind in MODULE_KINDS and said is not None:
        # A file that cannot be imported breaks every function in it: say why once.
        message = _strip_call(first)
        if message in said:
            console.print(f"      [dim]{escape(text('report.same_error', lang))}[/]")
            return
        said.add(message)
        console.print(f"      {escape(message)}")
        return
    if first.error_kind in SILENT_KINDS:
        console.print(f"      {escape(first.message)}")
        return
    console.print(f"      [red]{escape(first.name)}[/]: {escape(_zh(_strip_call(first), lang))}")
    graph = (first.inputs or {}).get("graph")
    if graph:
        console.print(f"      {text('report.graph', lang)}:")
        for line in graph.splitlines():
            console.print(f"        [cyan]{escape(line)}[/]")
    if first.call:
        console.print(f"      {text('report.smallest', lang)}{'：' if lang == 'zh' else ': '}"
                      f"{escape(first.call)}")
    if first.expected is not None or first.got is not None:
        for label, value in columns([(text('report.expected', lang), first.expected),
                                     (text('report.got', lang), first.got)], lang):
            console.print(f"      {escape(label)}{escape(value or '')}")
    for heading, words in explanation(first, lang):
        console.print(f"      [bold magenta]{escape(heading)}[/]{escape(words)}")
    if first.output:
        console.print(f"      {escape(text('report.output', lang))}:")
        for line in first.output.splitlines():
            console.print(f"        [dim]{escape(line)}[/]")
    _graph_text(console, fn, lang)
    if html and fn.pictures:
        console.print(f"      {escape(text('report.picture', lang, path=f'{html}#{fn.function}'))}")
    console.print(f"      [dim]{escape(text('report.hint', lang, function=fn.function))}[/]")


def shown_check(failed: list[CheckResult]) -> CheckResult:
    """The failed check a report explains: the first a named mistake explains (its
    diagnosis was computed on its own counterexample), else the first that is not
    hidden, else the first."""
    return (next((c for c in failed if c.misconception), None)
            or next((c for c in failed if not c.hidden), None) or failed[0])


def columns(rows: list[tuple[str, str | None]], lang: str) -> list[tuple[str, str | None]]:
    """``label: `` padded to one display width (a CJK character takes two columns)."""
    colon = "：" if lang == "zh" else ": "
    labels = [label + colon for label, _ in rows]
    width = max(cell_len(label) for label in labels)
    return [(label + " " * (width - cell_len(label)), value)
            for label, (_, value) in zip(labels, rows)]


def explanation(check: CheckResult, lang: str) -> list[tuple[str, str]]:
    """The lines that explain a failed check: its diagnosis (with its components for a
    tuple), or its failure profile when no named mistake fits. [(label, text)]."""
    colon = "：" if lang == "zh" else ": "
    if check.misconception:
        lines = [(text("report.diagnosis", lang) + colon,
                  _zh(misconception(check.misconception, lang), lang))]
        if check.parts:
            lines.append(("", parts_text(check.parts, lang)))
        return lines
    if check.profile:
        return [("", profile_text(check.profile, lang))]
    return []


def parts_text(parts: list[Any], lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(part_text(p, lang) for p in parts)


def part_text(part: Any, lang: str) -> str:
    name, right, relation, factor = part
    if right:
        return text("part.right", lang, name=name)
    return text(f"part.{relation or 'matches'}", lang, name=name, factor=factor or 0)


def _feature(key: str, lang: str) -> str:
    try:
        return text(key, lang)
    except KeyError:  # a feature a check declared without its texts: its name
        return key.removeprefix("feature.")


def _zh(message: str, lang: str) -> str:
    return spaced(message) if lang == "zh" else message


def profile_text(found: dict, lang: str) -> str:
    key = f"feature.{found['feature']}"
    wrong, right = (key, key + ".not") if found["wrong_when"] else (key + ".not", key)
    return _zh(text("report.profile", lang, right=_feature(right, lang), wrong=_feature(wrong, lang),
                       passed=found["passed"], failed=found["failed"],
                       among=found.get("among", found["failed"])), lang)


def spaced(message: str) -> str:
    """A space between Latin and CJK text (盘古之白), as Chinese typesetting asks."""
    message = re.sub(r"([\u4e00-\u9fff])([A-Za-z0-9_(\[])", r"\1 \2", message)
    return re.sub(r"([A-Za-z0-9_)\]])([\u4e00-\u9fff])", r"\1 \2", message)


def _graph_text(console: Console, fn: FunctionResult, lang: str) -> None:
    drawn = (fn.pictures or {}).get("graphs")
    if not drawn:
        return
    if drawn.get("call"):
        console.print(f"      [dim]{escape(text('report.drawn_for', lang, call=drawn['call']))}[/]")
    for who, key in (("student", "report.your_graph"), ("reference", "report.reference_graph")):
        side = drawn.get(who) or {}
        if side.get("error"):
            continue  # the code did not run: the message above already says why
        tree = side.get("text") or text("report.no_graph", lang)
        console.print(f"      {text(key, lang)}:")
        differs = first_difference(drawn) if who == "student" else None
        lines = (tree if drawn.get("plain") else numbered(tree)).splitlines()
        for i, line in enumerate(lines[:12]):
            if i == differs:
                console.print(f"        [bold red]{escape(line)}[/]  "
                              f"[red]◀ {escape(text('report.first_difference', lang))}[/]")
            else:
                console.print(f"        [dim]{escape(line)}[/]")
    if drawn.get("note"):
        console.print(f"      [red]{escape(drawn['note'])}[/]")


def numbered(tree: str) -> str:
    """The text tree with each node numbered in breadth-first order (#0 is the output),
    the order grad_fn_names and backward visit them."""
    lines = tree.splitlines()
    depths = [(len(line) - len(line.lstrip("│├└─ ")), i) for i, line in enumerate(lines)]
    order = {i: n for n, (_, i) in enumerate(sorted(depths, key=lambda d: d))}
    out = []
    for i, line in enumerate(lines):
        body = line.lstrip("│├└─ ")
        out.append(f"{line[:len(line) - len(body)]}#{order[i]} {body}")
    return "\n".join(out)


def first_difference(drawn: dict) -> int | None:
    """The line of the student's tree where it first differs from the reference's (or the
    line the picture itself marks, where the drawer knows better than a text diff)."""
    if "marked" in drawn:
        return drawn["marked"]
    mine = [_structure(line) for line in
            ((drawn.get("student") or {}).get("text") or "").splitlines()]
    ref = [_structure(line) for line in
           ((drawn.get("reference") or {}).get("text") or "").splitlines()]
    if not mine or mine == ref:
        return None
    return next((i for i, (a, b) in enumerate(zip(mine, ref)) if a != b), min(len(mine), len(ref)))


_LEAF_NAME = re.compile(r"(AccumulateGrad → ).*?( \([0-9, ]*\))")


def _structure(line: str) -> str:
    """A tree line without its leaf's name: the two trees name leaves their own way (t0 in
    the reference, the parameter's name in yours), which is not a difference in the graph."""
    return _LEAF_NAME.sub(r"\1\2", line)


def _strip_call(check: CheckResult) -> str:
    """The message without the call it starts with (shown on its own line)."""
    if check.call and check.message.startswith(check.call + ": "):
        return check.message[len(check.call) + 2:]
    return check.message


def _points(x: float) -> str:
    return f"{x:g}"
