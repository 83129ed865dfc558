"""The human report: per topic and function, points and verdict; for the first
failing check of each function, what went wrong in plain words, the likely
mistake, where to get a hint, and the student's graph as text. Total last."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from .. import catalog
from ..i18n import misconception, text
from ..results import PASSED, FunctionResult, GradeResult
from .summary import SILENT_KINDS

MARK = {PASSED: "[green]✓[/]", "partial": "[yellow]~[/]", "failed": "[red]✗[/]"}


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
        for fn in fns:
            _function(console, fn, lang, html)
    console.print()
    for note in result.notes:
        console.print(f"[dim]{text('report.note', lang)}: {escape(note)}[/]")
    if html:
        console.print(text("report.html_written", lang, path=html))
    colour = "green" if result.all_passed else "yellow" if result.score else "red"
    console.print(f"[bold {colour}]{text('report.total', lang)}: "
                  f"{_points(result.score)} / {_points(result.max_score)}[/]")


def _function(console: Console, fn: FunctionResult, lang: str, html: str | None) -> None:
    ran = [c for c in fn.checks if not c.skipped]
    passed = sum(c.passed for c in ran)
    checks = text("report.checks", lang, passed=passed, ran=len(ran))
    console.print(f"  {MARK[fn.status]} {fn.function:<22} {_points(fn.score):>5} / "
                  f"{_points(fn.max_score):<3}  [dim]{escape(checks)}[/]")
    if not fn.failed:
        return
    first = fn.failed[0]
    if first.error_kind in SILENT_KINDS:
        console.print(f"      {escape(first.message)}")
        return
    console.print(f"      [red]{escape(first.name)}[/]: {escape(_strip_call(first))}")
    graph = (first.inputs or {}).get("graph")
    if graph:
        console.print(f"      {text('report.graph', lang)}:")
        for line in graph.splitlines():
            console.print(f"        [cyan]{escape(line)}[/]")
    if first.call:
        console.print(f"      {text('report.smallest', lang)}: {escape(first.call)}")
    if first.expected is not None or first.got is not None:
        console.print(f"      {text('report.expected', lang)}: {escape(first.expected or '')}")
        console.print(f"      {text('report.got', lang)}:      {escape(first.got or '')}")
    mid = next((c.misconception for c in fn.failed if c.misconception), None)
    if mid:
        console.print(f"      [bold magenta]{text('report.diagnosis', lang)}:[/] "
                      f"{escape(misconception(mid, lang))}")
    _graph_text(console, fn, lang)
    if html and fn.pictures:
        console.print(f"      {escape(text('report.picture', lang, path=f'{html}#{fn.function}'))}")
    console.print(f"      [dim]{escape(text('report.hint', lang, function=fn.function))}[/]")


def _graph_text(console: Console, fn: FunctionResult, lang: str) -> None:
    drawn = (fn.pictures or {}).get("graphs")
    if not drawn:
        return
    for who, key in (("student", "report.your_graph"), ("reference", "report.reference_graph")):
        side = drawn.get(who) or {}
        if side.get("error"):
            continue  # the code did not run: the message above already says why
        tree = side.get("text") or text("report.no_graph", lang)
        console.print(f"      {text(key, lang)}:")
        for line in tree.splitlines()[:12]:
            console.print(f"        [dim]{escape(line)}[/]")


def _strip_call(check) -> str:
    """The message without the call it starts with (shown on its own line)."""
    if check.call and check.message.startswith(check.call + ": "):
        return check.message[len(check.call) + 2:]
    return check.message


def _points(x: float) -> str:
    return f"{x:g}"
