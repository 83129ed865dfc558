"""The pytest plugin that turns check outcomes into the results model.

Each check declares the function it grades with ``@pytest.mark.grades(topic,
function)``. The plugin provides the ``student`` fixture (the submission,
reached only through its worker) and keeps, for every check, the structured
failure the check raised, never pytest's or hypothesis's printed output.
"""

from __future__ import annotations

import pytest

from . import catalog, describe
from .results import FAILED, PASSED, SKIPPED, CheckResult
from .i18n import text
from .verdicts import STUDENT_ERRORS, CheckFailure


class Pictures:
    """What the picture tests drew, by (topic, function), for the graded topics only."""

    def __init__(self, topics):
        self.topics = set(topics)
        self.found: dict[tuple[str, str], dict] = {}

    def store(self, topic: str, function: str, found: dict) -> None:
        self.found[(topic, function)] = found


class GradingPlugin:
    name = "gradkit-grading"

    def __init__(self, submission, pictures: Pictures | None = None):
        self.submission = submission
        self.pictures = pictures
        self.results: dict[tuple[str, str], list[CheckResult]] = {}
        self.collection_errors: list[str] = []

    @pytest.fixture(scope="session")
    def student(self):
        return self.submission

    @pytest.fixture(scope="session", name="pictures")
    def pictures_fixture(self):
        return self.pictures

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "grades(topic, function): the function a check grades")

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._record(item, report, call)

    def _record(self, item, report, call):
        marker = item.get_closest_marker("grades")
        if marker is None:
            return
        topic, function = marker.args
        catalog.function(topic, function)  # a check for an unknown function is a kit bug
        base = item.originalname.removeprefix("test_")
        params = f"[{item.callspec.id}]" if hasattr(item, "callspec") else ""
        hidden = item.path.parent.name == "hidden"  # checks/hidden/<topic>.py
        result = CheckResult(name=base + params, outcome=PASSED,
                             check=f"{topic}::{'hidden::' if hidden else ''}{base}",
                             duration_s=report.duration, hidden=hidden,
                             weight=float(marker.kwargs.get("weight", 1.0)))
        if report.skipped:
            result.outcome = SKIPPED
            result.message = _skip_reason(report)
        elif report.failed:
            result.outcome = FAILED
            _explain(result, call.excinfo.value if call.excinfo else None)
        self.results.setdefault((topic, function), []).append(result)


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "skipped"


def _explain(result: CheckResult, exc: BaseException | None) -> None:
    """Fill a failed check's message from the structured exception it raised."""
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


def _unwrap(exc):
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
