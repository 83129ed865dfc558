"""The pytest plugin that turns check outcomes into the results model.

Each check declares the function it grades with ``@pytest.mark.grades(topic,
function)``. The plugin provides the ``student`` fixture (the submission,
reached only through its worker) and keeps, for every check, the structured
failure the check raised, never pytest's or hypothesis's printed output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator, Iterable

import pytest

from . import catalog, describe, inert, plan
from . import evidence
from .evidence import EVIDENCE
from .results import FAILED, PASSED, SKIPPED, WITHHELD, CheckResult
from .testing import Withheld
from .shrink_budget import BUDGET
from .i18n import text
from .verdicts import STUDENT_ERRORS, CheckFailure

if TYPE_CHECKING:
    from .untrusted.sandbox import Submission


class Pictures:
    """What the picture tests drew, by (topic, function), for the graded topics only."""

    plugin: GradingPlugin  # set by the GradingPlugin it is handed to

    def __init__(self, topics: Iterable[str]) -> None:
        self.topics = set(topics)
        self.found: dict[tuple[str, str], dict[str, Any]] = {}

    def store(self, topic: str, function: str, found: dict[str, Any]) -> None:
        self.found[(topic, function)] = found

    def counterexample(self, topic: str, function: str) -> object | None:
        """The Case of the counterexample the report shows for this function (the first
        failed check a named mistake explains, else the first failed one), or None."""
        plugin = getattr(self, "plugin", None)
        return plugin.counterexample(topic, function) if plugin else None


class GradingPlugin:
    name = "gradkit-grading"

    def __init__(self, submission: Submission, pictures: Pictures | None = None,
                 selected: Iterable[tuple[str, str]] | None = None) -> None:
        self.submission = submission
        self.pictures = pictures
        # (topic, function) pairs to grade; None: every collected check
        self.selected = None if selected is None else set(selected)
        self.results: dict[tuple[str, str], list[CheckResult]] = {}
        self.collection_errors: list[str] = []
        self._printed_before: tuple[int, str] = (0, "")
        self._cases: dict[int, object] = {}  # id(result) -> the Case of its counterexample
        if pictures is not None:
            pictures.plugin = self
        # Diagnoses are named at the end, once every check of a function has run: an id is
        # kept only if it explains every failing example of the function it was tried on.
        self._failing: dict[tuple[str, str], list[evidence.Example]] = {}
        self._pending: list[tuple[tuple[str, str], CheckResult, BaseException | None,
                                  dict[str, Any] | None]] = []
        # Every example of every check, by function: the wrong variants of the reference
        # (checks/families.py) are named only if they reproduce all of them.
        self._examples: dict[tuple[str, str], list[evidence.Example]] = {}
        self._check_failing: dict[int, list[evidence.Example]] = {}  # id(result) -> its failures

    @pytest.fixture(scope="session")
    def student(self) -> Submission:
        return self.submission

    @pytest.fixture(scope="session", name="pictures")
    def pictures_fixture(self) -> Pictures | None:
        return self.pictures

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        BUDGET.reset()  # each check: its own shrink budget and outcome cache
        EVIDENCE.reset()  # and its own examples
        plan.new_check()  # and its own count of hypothesis runs (gradkit/plan.py)
        self._printed_before = self._printed()

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        BUDGET.reset()  # a spent budget must not cut short any later hypothesis run

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "grades(topic, function): the function a check grades")

    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        """A selection grades only its functions: every other check is deselected before
        it runs (never run and then dropped: a hang elsewhere must cost nothing)."""
        if self.selected is None:
            return
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            (kept if graded_function(item) in self.selected else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._record(item, report, call)

    def _record(self, item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None]) -> None:
        marker = item.get_closest_marker("grades")
        if marker is None:
            return
        topic, function = marker.args
        catalog.function(topic, function)  # a check for an unknown function is a kit bug
        base = item.originalname.removeprefix("test_")  # type: ignore[attr-defined]  # a pytest.Function
        params = f"[{item.callspec.id}]" if hasattr(item, "callspec") else ""
        hidden = item.path.parent.name == "hidden"  # checks/hidden/<topic>.py
        result = CheckResult(name=base + params, outcome=PASSED,
                             check=f"{topic}::{'hidden::' if hidden else ''}{base}",
                             duration_s=report.duration, hidden=hidden,
                             weight=float(marker.kwargs.get("weight", 1.0)))
        if not report.skipped:
            self._examples.setdefault((topic, function), []).extend(EVIDENCE.examples.values())
        if report.skipped:
            result.outcome = SKIPPED
            result.message = _skip_reason(report)
            if call.excinfo is not None and call.excinfo.errisinstance(Withheld):
                result.error_kind = WITHHELD  # the function is provisional, never passed
                result.message = str(call.excinfo.value)
        elif report.failed:
            result.outcome = FAILED
            exc = _explain(result, call.excinfo.value if call.excinfo else None)
            failing = EVIDENCE.failing()
            self._failing.setdefault((topic, function), []).extend(failing)
            result.output = printed_since(self._printed_before, self._printed()) or None
            found = evidence.profile(EVIDENCE.passing(), failing)
            self._pending.append(((topic, function), result, exc, found))
            self._check_failing[id(result)] = failing
            case = getattr(exc, "case", None)
            if case is not None:
                self._cases[id(result)] = case
        self.results.setdefault((topic, function), []).append(result)

    def _printed(self) -> tuple[int, str]:
        """(which worker, the tail of what it printed), through the submission's worker."""
        worker = getattr(self.submission, "worker", None)
        tail = getattr(worker, "output_tail", None)
        if tail is None:
            return (0, "")
        try:
            return (id(worker), tail(OUTPUT_WINDOW))
        except Exception:  # the worker is gone: nothing to show
            return (0, "")

    def counterexample(self, topic: str, function: str) -> object | None:
        self.settle()
        # Never a hidden check's counterexample: its details wait until grades are published.
        failed = [c for c in self.results.get((topic, function), [])
                  if c.outcome == FAILED and not c.hidden]
        shown = next((c for c in failed if c.misconception), failed[0] if failed else None)
        # (the same choice as gradkit.reporters.terminal.shown_check, hidden checks left out)
        return self._cases.get(id(shown)) if shown is not None else None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.settle()

    def settle(self) -> None:
        """Name each failed check's mistake from the whole function's evidence; where none
        fits, keep the failure profile instead."""
        variants: dict[tuple[str, str], list[str]] = {}
        for key, result, exc, found in self._pending:
            if getattr(exc, "verify", False):
                ids = evidence.verified(getattr(exc, "candidates", []), self._failing.get(key, []))
                result.misconception = ids[0] if ids else None
                parts = getattr(exc, "parts", None) or {}
                result.parts = parts.get(result.misconception) if ids else None
            raised = isinstance(exc, STUDENT_ERRORS) and exc.kind == "exception"
            if getattr(exc, "answered", False) or raised:
                if key not in variants:
                    variants[key] = evidence.reproduced_everywhere(self._examples.get(key, []))
                self._name_by_variants(key, result, variants[key])
                # A name read from the error itself stays beside that error.
                if raised and (result.misconception is None or result.misconception in variants[key]):
                    self._show_a_wrong_value(key, result)
            if result.misconception is None and found and result.error_kind != "harness":
                result.profile = found
        self._pending = []

    @staticmethod
    def _name_by_variants(key: tuple[str, str], result: CheckResult, found: list[str]) -> None:
        """The one wrong variant that reproduces every example names the mistake; two
        that both do, or one the hand-written diagnosis contradicts, name nothing."""
        if not found or result.misconception in found:
            return
        result.misconception = found[0] if result.misconception is None and len(found) == 1 \
            else None
        result.parts = None  # the parts were those of a hand-written diagnosis

    def _show_a_wrong_value(self, key: tuple[str, str], result: CheckResult) -> None:
        """The smallest example raised: show the next-smallest failing example that gave a
        value instead, with its diagnosis (one the variants or hand-written diagnoses
        give for the whole function), and say that a smaller input raised."""
        valued = [e for e in self._check_failing.get(id(result), []) if e.failure is not None]
        if not valued:
            return
        example = min(valued, key=lambda e: len(getattr(e.failure, "call", "") or ""))
        named = result.misconception
        if named is None:
            ids = evidence.verified(example.matched, self._failing.get(key, []))
            named = ids[0] if ids else None
        if named is None:
            return
        raised = result.message
        _explain(result, example.failure)
        result.error_kind = None
        result.misconception = named
        result.parts = None
        result.message = result.message + text("diagnose.smaller_raised", error=raised)
        case = getattr(example.failure, "case", None)
        if case is not None:
            self._cases[id(result)] = case


def graded_function(item: pytest.Item) -> tuple[str, str] | None:
    """The (topic, function) an item grades (its ``grades`` marker) or draws (a picture
    test's ``topic_function`` parameter); None for anything else."""
    marker = item.get_closest_marker("grades")
    if marker is not None:
        return (str(marker.args[0]), str(marker.args[1]))
    params = getattr(getattr(item, "callspec", None), "params", {})
    pair = params.get("topic_function")
    return (str(pair[0]), str(pair[1])) if isinstance(pair, (tuple, list)) and len(pair) == 2 else None


OUTPUT_WINDOW = 4000  # characters of the worker's output looked at
OUTPUT_SHOWN = 800    # at most this much of it shown, the end kept
OUTPUT_LINES = 20


def printed_since(before: tuple[int, str], after: tuple[int, str]) -> str:
    """What was printed between two looks at a worker's output tail: all of it for a new
    worker, else what follows the earlier tail's end. Control characters (ANSI escapes,
    carriage returns...) are dropped, the result capped to its last lines."""
    worker, tail = after
    if not tail:
        return ""
    if worker == before[0] and before[1]:
        anchor = before[1][-200:]
        at = tail.rfind(anchor)
        tail = tail[at + len(anchor):] if at >= 0 else tail
    return clean_output(tail)


def clean_output(raw: str) -> str:
    # whole escape sequences out (an OSC's title too), a carriage return a new line
    raw = inert.text(raw.replace("\r\n", "\n").replace("\r", "\n"))
    lines = raw.strip("\n").splitlines()[-OUTPUT_LINES:]
    text_ = "\n".join(lines)
    return text_[-OUTPUT_SHOWN:]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "skipped"


def _explain(result: CheckResult, exc: BaseException | None) -> BaseException | None:
    """Fill a failed check's message from the structured exception it raised (returned)."""
    exc = _unwrap(exc)
    if isinstance(exc, CheckFailure):
        result.message = exc.message
        result.call = exc.call
        result.inputs = describe.inputs(exc.inputs)
        if exc.expected is not None or exc.got is not None:  # a None beside a value is news
            result.expected, result.got = describe.value(exc.expected), describe.value(exc.got)
        result.misconception = exc.misconception
    elif isinstance(exc, STUDENT_ERRORS):
        result.message = exc.message
        result.call = exc.call
        result.inputs = describe.inputs(exc.inputs)
        result.error_kind = exc.kind
        result.misconception = exc.misconception
    else:
        # Anything else is the grader's own fault; say so rather than blame the student.
        result.error_kind = "harness"
        result.message = text("error.check_failed", detail=f"{type(exc).__name__}: {exc}")
    return exc


def _unwrap(exc: BaseException | None) -> BaseException | None:
    """Find our own failure inside hypothesis's wrappers (flaky, groups)."""
    current = exc
    for _ in range(10):
        if current is None:
            break
        if isinstance(current, (CheckFailure, *STUDENT_ERRORS)):
            return current
        inner = getattr(current, "exceptions", None)
        current = inner[0] if inner else (current.__cause__ or current.__context__)
    return exc
