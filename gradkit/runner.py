"""Grade a submission folder: run the checks through pytest, return the results model.

Order matters here: the zygote that forks workers is started right after
torch is imported and before anything can initialise CUDA, so workers can use
the GPU too.
"""

from __future__ import annotations

from typing import Any, Iterable, TextIO
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from . import catalog, cores, i18n, plan, review, split_grading
from .environment import variable as environment_variable
from .untrusted import channel, engine_probe, isolation, privileges
from .results import FunctionResult, GradeResult, skip_notes
from .untrusted.sandbox import (DEFAULT_TIMEOUT_S, FUNCTION_BUDGET_S, RUN_BUDGET_S, Run,
                                Submission, zygote)

KIT_DIR = Path(__file__).resolve().parent.parent
CHECKS_DIR = KIT_DIR / "checks"


class GradingError(RuntimeError):
    """Grading itself could not run (a kit bug or a bad request), not a student mistake."""


def resolve_topics(topics: Iterable[str] | None) -> list[str]:
    if not topics:
        return list(catalog.TOPIC_NAMES)
    unknown = [t for t in topics if t not in catalog.TOPIC_NAMES]
    if unknown:
        raise GradingError(i18n.text("run.unknown_topic", topics=", ".join(unknown),
                                     known=", ".join(catalog.TOPIC_NAMES)))
    return list(dict.fromkeys(topics))


def grade(folder: str, topics: Iterable[str] | None = None, timeout: float = DEFAULT_TIMEOUT_S,
          *, lang: str | None = None, pictures: bool = False, protect: Iterable[str] = (),
          budget: float | None = None, function_budget: float = FUNCTION_BUDGET_S,
          fail_fast: bool = False, functions: Iterable[str] | None = None,
          split: bool | split_grading.SecondGrader = False) -> GradeResult:
    """Grade ``folder`` on ``topics`` (default: all). Raises GradingError only
    when grading itself cannot run; anything the submission does is a result.

    ``lang``: the language of every message (default: the one already set).
    ``pictures``: also draw each graph function's graph, the student's and the
    reference's, and the training curves (for the terminal and HTML reports).
    ``protect``: accepted for compatibility and ignored: nothing is chmodded any more
    (in namespace mode the results folder is simply not in the sandbox).
    ``budget``: seconds of call time the whole run may use (default ``RUN_BUDGET_S``,
    or ``GRADKIT_BUDGET``); ``function_budget``: the same for each function.
    ``fail_fast``: stop at the first failing check (mutation testing asks only "all
    marks or not"; the rest of the result is then incomplete).
    ``functions``: grade only these functions of ``topics`` (names, or ``topic.name``
    where a name alone is ambiguous); the checks of every other function are deselected
    before they run, and the result holds these functions only and says it is partial.
    ``split``: where this machine has a spare core, grade some of the topics in a second
    grader process side by side (gradkit/split_grading.py); for a whole grading only. Or
    the second grader the caller already started for this grading (``split_grading.start``).
    The grading runs on a core of its own where one is free (gradkit/cores.py).
    Can be called many times in one process: the zygote is made once and reused.
    """
    second = split if isinstance(split, split_grading.SecondGrader) else None
    try:
        if lang:
            i18n.set_language(lang)
        if not CHECKS_DIR.is_dir():  # a non-editable install copies the engine, never checks/
            raise GradingError(i18n.text("run.no_checks_folder"))
        topics = resolve_topics(topics)
        selected = resolve_functions(topics, functions)
        if not os.path.isdir(folder):
            raise GradingError(i18n.text("run.not_a_folder", folder=folder))
    except BaseException:
        if second:
            second.close()
        raise
    if budget is None:
        budget = float(os.environ.get("GRADKIT_BUDGET") or RUN_BUDGET_S)
    started = time.monotonic()
    options = {"timeout": timeout, "pictures": pictures, "budget": budget,
               "function_budget": function_budget}
    if second is None and split and selected is None and not fail_fast:
        second = split_grading.start(folder, topics, options)
    if second:
        result = split_grading.grade_in_two(folder, second, options)
        result.execution_time_s = time.monotonic() - started
        return result
    with cores.claimed():
        result = _grade_here(folder, topics, selected, timeout, pictures, budget,
                             function_budget, fail_fast)
    result.execution_time_s = time.monotonic() - started
    return result


def _grade_here(folder: str, topics: list[str], selected: list[tuple[str, str]] | None,
                timeout: float, pictures: bool, budget: float, function_budget: float,
                fail_fast: bool) -> GradeResult:
    """One grader's grading (``grade``'s, once the topics are known)."""
    factory = zygote()  # before anything below can touch CUDA
    plan.PLAN.load()  # the examples drawn by earlier gradings (gradkit/plan.py)
    with tempfile.TemporaryDirectory(prefix="gradkit-") as scratch:
        run = _start_run(folder, scratch, factory)
        submission = Submission(folder, factory, scratch, timeout=timeout, run=run,
                                function_budget=function_budget, run_budget=budget)
        try:
            raw, drawn = _run_pytest(submission, topics, scratch, pictures, fail_fast, selected)
        finally:
            submission.close()
            run.close()  # every process of the run is gone before any result exists
        limits = {**run.limits(), "call_timeout_s": timeout, "function_budget_s": function_budget,
                  "run_budget_s": budget}
    plan.PLAN.save()
    result = _assemble(folder, topics, raw, drawn, partial=fail_fast, selected=selected)
    result.flags = list(submission.flags)  # for instructors only (see gradkit.review)
    result.review = review.scan(folder)
    # who observed the rules (gradkit/untrusted/engine_probe.py): the kernel, or only the worker
    rules = run.rules
    result.environment["isolation"] = {"level": run.level, "rules": rules, "limits": limits}
    if rules != engine_probe.RULES_KERNEL:
        result.environment["isolation"]["rules_why"] = engine_probe.unavailable() or "the run's cgroup was refused"
    return result


def resolve_functions(topics: list[str], functions: Iterable[str] | None
                      ) -> list[tuple[str, str]] | None:
    """The (topic, function) pairs a selection names, in catalog order; None: all of
    ``topics``. A name may be ``topic.name``; a bare name must belong to one of ``topics``."""
    if functions is None:
        return None
    wanted = list(functions)
    known = [(fn.topic, fn.name) for t in topics for fn in catalog.topic(t).functions]
    chosen = {(t, n) for t, n in known if n in wanted or f"{t}.{n}" in wanted}
    unknown = [w for w in wanted if not any(w in (n, f"{t}.{n}") for t, n in known)]
    if unknown or not wanted:
        raise GradingError(i18n.text("run.unknown_function", functions=", ".join(unknown) or "-",
                                     known=", ".join(n for _, n in known)))
    return [pair for pair in known if pair in chosen]


START_TRIES = 3


def _start_run(folder: str, scratch: str, factory: Any) -> Run:
    """The run's sandbox. A supervisor that goes away before saying it is ready (seen now
    and then on a busy machine, before any student code exists) is started again: no
    submission code has run, so a second try changes no verdict."""
    for attempt in range(START_TRIES):
        try:
            return Run(folder, scratch, factory=factory)
        except channel.ChannelClosed as exc:
            if attempt == START_TRIES - 1:
                raise GradingError(str(exc) or repr(exc)) from None
        except (isolation.IsolationError, privileges.SandboxError, OSError) as exc:
            # str() of a timeout or a closed channel is empty: its name says which it was
            raise GradingError(str(exc) or repr(exc)) from None
    raise AssertionError("unreachable")


def _run_pytest(submission: Submission, topics: list[str], scratch: str, pictures: bool,
                fail_fast: bool = False, selected: list[tuple[str, str]] | None = None
                ) -> tuple[dict[Any, Any], dict[Any, Any]]:
    import pytest

    from .plugin import GradingPlugin, Pictures

    _freeze_what_is_imported()
    plugin = GradingPlugin(submission, Pictures(topics) if pictures else None, selected)
    # checks/ is loaded by path from the kit's folder, never installed (pyproject.toml):
    # the checks import each other as ``checks.*``. The zygote was forked before this, so no
    # worker has the folder on its path.
    if str(KIT_DIR) not in sys.path:
        sys.path.insert(0, str(KIT_DIR))
    os.environ["GRADKIT_GRADING"] = "1"
    # Hidden checks live apart (checks/hidden/), so a student bundle can leave them out.
    modules = [f"{t}.py" for t in topics] + [f"hidden/{t}.py" for t in topics
                                             if (CHECKS_DIR / "hidden" / f"{t}.py").is_file()]
    modules += ["pictures.py"] if pictures else []
    args = [str(CHECKS_DIR / m) for m in modules] + [
        "-c", str(CHECKS_DIR / "grading.ini"),
        "--rootdir", str(CHECKS_DIR.parent),
        "--import-mode=importlib", "--assert=plain",
        "-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:threadexception",
        "-p", "no:faulthandler", "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin",
        # No pytest plugin the environment happens to have (pytest-randomly would reorder
        # and reseed the checks, say): only hypothesis's, which tells parametrizations apart.
        "-p", "_hypothesis_pytestplugin",
        # --tb=no: pytest would otherwise parse the source of every failing check for a
        # traceback nobody reads (our failures are structured): 80% of a failing run.
        "-q", "--no-header", "--no-summary", "-s", "--tb=no",
        "-o", f"cache_dir={scratch}/pytest-cache",
    ] + (["--exitfirst"] if fail_fast else [])
    with open(os.devnull, "w") as devnull, _quiet(devnull), \
            environment_variable("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"):  # no plugin but ours
        exit_code = pytest.main(args, plugins=[plugin])
    if plugin.collection_errors or exit_code not in (0, 1):
        detail = "\n".join(plugin.collection_errors) or f"pytest exit code {int(exit_code)}"
        raise GradingError(i18n.text("run.checks_failed", detail=detail))
    return plugin.results, plugin.pictures.found if plugin.pictures else {}


_FROZEN = False


def _freeze_what_is_imported() -> None:
    """Once per process, after torch, pytest and hypothesis are imported: move every object
    made so far out of the garbage collector's sight (``gc.freeze``). Those modules live as
    long as the process, and each full collection during a grading would walk them all
    again (over a second per grading). Once only: what a grading leaves behind stays
    collectable, so a long-lived batch or ``--watch`` process does not grow."""
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.freeze()


class _quiet:
    """Keep pytest's own chatter off the user's terminal; our reporters speak instead."""

    def __init__(self, sink: TextIO) -> None:
        self.sink = sink

    def __enter__(self) -> None:
        self.saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self.sink

    def __exit__(self, *exc: object) -> None:
        sys.stdout, sys.stderr = self.saved


def _assemble(folder: str, topics: list[str], raw: dict, drawn: dict,
              partial: bool = False, selected: list[tuple[str, str]] | None = None) -> GradeResult:
    """``partial``: a fail-fast run, where the functions after the first failure have no
    checks run (left out of the result) rather than no checks at all (the kit's bug).
    ``selected``: only these functions were graded; the others are left out. Either way
    the result says it is partial (``environment["partial"]`` and a note), so its score
    never reads as the whole topics' score out of fewer points."""
    functions = []
    for name in topics:
        for fn in catalog.topic(name).functions:
            if selected is not None and (fn.topic, fn.name) not in selected:
                continue
            checks = raw.get((fn.topic, fn.name))
            if not checks and partial:
                continue
            if not checks:
                raise GradingError(i18n.text("run.no_check", function=f"{fn.topic}.{fn.name}"))
            functions.append(FunctionResult(fn.topic, fn.name, fn.points, checks,
                                            pictures=drawn.get((fn.topic, fn.name))))
    notes = skip_notes(functions)
    environment: dict[str, Any] = {
        "torch": torch.__version__.split("+")[0],
        "cuda": torch.cuda.is_available(),
        "topics": topics,
    }
    if selected is not None:
        graded = [f"{t}.{n}" for t, n in selected]
        environment["partial"] = {"functions": graded}
        notes.append(i18n.text("run.partial_functions", functions=", ".join(graded)))
    elif partial:
        environment["partial"] = {"fail_fast": True}
        notes.append(i18n.text("run.partial_fail_fast"))
    return GradeResult(
        submission=os.path.abspath(folder),
        functions=functions,
        notes=notes,
        language=i18n.language(),
        environment=environment,
    )

