"""The human report: per topic and function, points and verdict; for the first
failing check of each function, what went wrong in plain words. Total last."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from .. import catalog
from ..results import PASSED, FunctionResult, GradeResult

MARK = {PASSED: "[green]✓[/]", "partial": "[yellow]~[/]", "failed": "[red]✗[/]"}


def render(result: GradeResult, console: Console | None = None, target: str | None = None) -> None:
    console = console or Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]gradkit[/] · grading {escape(target or result.submission)}")
    topics = list(dict.fromkeys(f.topic for f in result.functions))
    for name in topics:
        topic = catalog.topic(name)
        fns = [f for f in result.functions if f.topic == name]
        score = sum(f.score for f in fns)
        total = sum(f.max_score for f in fns)
        console.print(f"\n[bold]{name}[/] — {topic.title} ({topic.title_zh})  "
                      f"{_points(score)} / {_points(total)}")
        for fn in fns:
            _function(console, fn)
    console.print()
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]")
    colour = "green" if result.all_passed else "yellow" if result.score else "red"
    console.print(f"[bold {colour}]Total: {_points(result.score)} / {_points(result.max_score)}[/]")


def _function(console: Console, fn: FunctionResult) -> None:
    ran = [c for c in fn.checks if not c.skipped]
    passed = sum(c.passed for c in ran)
    console.print(f"  {MARK[fn.status]} {fn.function:<22} {_points(fn.score):>5} / "
                  f"{_points(fn.max_score):<3}  [dim]{passed}/{len(ran)} checks[/]")
    failed = fn.failed
    if not failed:
        return
    first = failed[0]
    if first.error_kind in ("not_implemented", "missing_module", "missing_function"):
        console.print(f"      {escape(first.message)}")
        return
    console.print(f"      [red]{escape(first.name)}[/]: {escape(_strip_call(first))}")
    if first.call:
        console.print(f"      smallest failing input: {escape(first.call)}")
    if first.expected is not None:
        console.print(f"      expected: {escape(first.expected)}")
        console.print(f"      got:      {escape(first.got or '')}")


def _strip_call(check) -> str:
    """The message without the call it starts with (shown on its own line)."""
    if check.call and check.message.startswith(check.call + ": "):
        return check.message[len(check.call) + 2:]
    return check.message


def _points(x: float) -> str:
    return f"{x:g}"
