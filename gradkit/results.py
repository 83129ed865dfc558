"""The results model: the one thing every reporter reads.

Scores are computed here from check outcomes; reporters never recompute or
reinterpret them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from . import inert

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class _Inert:
    """Every text field a student can reach is made inert (``gradkit.inert``) as it is
    set: by the plugin from a worker's reply, by ``replace``, by ``from_dict``. So the
    model every reporter reads never holds a terminal escape, a control or bidi
    character, a scratch path, or (for one-line fields) a line a student could forge."""

    _LINES: frozenset[str] = frozenset()   # one line: newlines become spaces
    _TEXTS: frozenset[str] = frozenset()   # strings anywhere inside, newlines kept
    _PATHS: frozenset[str] = frozenset()   # one line, a path the grader chose kept

    def __setattr__(self, name: str, value: Any) -> None:
        if value is not None:
            if name in self._LINES:
                value = inert.line(value)
            elif name in self._TEXTS:
                value = inert.deep(value)
            elif name in self._PATHS:
                value = inert.line(value, paths=True)
        object.__setattr__(self, name, value)
PROVISIONAL = "provisional"  # a FunctionResult whose withheld checks only the full kit runs
WITHHELD = "withheld"  # the error_kind of a check skipped for a withheld reference


@dataclass
class CheckResult(_Inert):
    _LINES = frozenset({"name", "message", "call", "error_kind", "misconception"})
    _TEXTS = frozenset({"inputs", "expected", "got", "parts", "profile", "output"})

    name: str
    outcome: str
    message: str = ""
    check: str = ""  # the check's id without its parameters, e.g. "manual_grad::matches_autograd"
    weight: float = 1.0
    call: str | None = None  # the smallest failing call, in plain words
    inputs: dict[str, str] | None = None
    expected: str | None = None
    got: str | None = None
    misconception: str | None = None
    error_kind: str | None = None  # set when the code could not answer at all
    duration_s: float = 0.0
    hidden: bool = False  # from checks/hidden/: its details wait until grades are published
    # A tuple answer diagnosed component by component: [[name, right?, relation, factor]].
    parts: list[list[Any]] | None = None
    # When no named mistake fits: the input feature that separates the passing examples
    # from the failing ones, {"feature", "wrong_when", "passed", "failed"} (gradkit.evidence).
    profile: dict[str, Any] | None = None
    # What the student's code printed while this check ran (capped, control characters out).
    output: str | None = None

    def redacted(self, message: str) -> "CheckResult":
        """What a student may see of a hidden check before grades are published: its
        outcome and weight, and ``message`` instead of its inputs and values."""
        if not self.hidden or self.outcome != FAILED:
            return self
        return replace(self, message=message, call=None, inputs=None, expected=None, got=None,
                       misconception=None, parts=None, profile=None, output=None)

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED

    @property
    def skipped(self) -> bool:
        return self.outcome == SKIPPED


@dataclass
class FunctionResult(_Inert):
    _TEXTS = frozenset({"pictures"})  # the student's graph, drawn in the worker

    topic: str
    function: str
    max_score: float
    checks: list[CheckResult] = field(default_factory=list)
    # Drawn for the reports when asked: {"graphs": {"student": d, "reference": d}} with
    # d = {"text", "dot", "nodes"}, and/or {"curves": {"losses", "paths", "parted_at"}}.
    pictures: dict[str, Any] | None = None

    def _parts(self) -> dict[str, Any]:
        """The scoring policy (catalog: RULES, HIDDEN_SHARE, QUANTUM), computed once here:
        every reporter reads ``score``, ``split()``, ``gated_by`` and ``regrade``."""
        from . import catalog
        if self.regrade:  # the grader's own error: nothing of this function is scored
            return {"earned": {False: 0.0, True: 0.0},
                    "most": {False: self.max_score, True: 0.0}, "gated_by": None}
        counted = [c for c in self.checks if not c.skipped]
        values = [c for c in counted if catalog.rule_of(c.check or c.name) is None]
        keeps, gate = 1.0, None
        for c in counted:
            if c.outcome != FAILED:
                continue
            rule = catalog.INTEGRITY if c.error_kind == "tampered" else (
                catalog.rule_of(c.check or c.name) if c.error_kind is None else None)
            if rule is not None and (gate is None or rule.keeps < keeps):
                keeps, gate = rule.keeps, rule.check
        hidden = [c for c in values if c.hidden]
        visible = [c for c in values if not c.hidden]
        most_hidden = 0.0
        if hidden:
            most_hidden = self.max_score if not visible else _quantize(
                self.max_score * catalog.HIDDEN_SHARE, self.max_score)
        most_visible = self.max_score - most_hidden
        earned = {False: _earned(visible, most_visible, keeps),
                  True: _earned(hidden, most_hidden, keeps)}
        return {"earned": earned, "most": {False: most_visible, True: most_hidden},
                "gated_by": gate}

    @property
    def score(self) -> float:
        earned = self._parts()["earned"]
        return round(earned[False] + earned[True], 4)

    @property
    def gated_by(self) -> str | None:
        """The broken rule that gated this function's points (the worst one), or None."""
        return self._parts()["gated_by"]

    @property
    def regrade(self) -> bool:
        """A check failed through the grader's own error: the function is ungraded (0
        points, whatever its other checks did: a submission that makes the grader fail
        must not keep the points of the checks it let pass) and must be graded again."""
        return any(c.error_kind == "harness" and c.outcome == FAILED for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if c.outcome == FAILED]

    def split(self) -> dict[bool, tuple[float, float]]:
        """{hidden: (score, max score)} of the visible and the hidden checks alone; the
        two add up exactly to ``score`` and ``max_score``."""
        parts = self._parts()
        return {h: (parts["earned"][h], parts["most"][h]) for h in (False, True)}

    def public(self, message: str) -> "FunctionResult":
        """This function as a student sees it before grades are published."""
        return replace(self, checks=[c.redacted(message) for c in self.checks])

    @property
    def provisional(self) -> bool:
        """Some of its checks were withheld (the student bundle): its score is not final."""
        return any(c.error_kind == WITHHELD for c in self.checks)

    @property
    def status(self) -> str:
        """passed, partial, failed (some checks failed), or provisional: nothing failed, but
        a check was withheld (the student bundle lacks its reference, gradkit.answers), so
        only the instructor's grading can say passed."""
        if not self.failed:
            return PROVISIONAL if self.provisional else PASSED
        return "partial" if self.score > 0 else FAILED


@dataclass
class GradeResult(_Inert):
    _TEXTS = frozenset({"notes", "flags", "review"})
    _PATHS = frozenset({"submission"})

    submission: str
    functions: list[FunctionResult]
    notes: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    execution_time_s: float = 0.0
    language: str = "en"  # the language its messages were written in
    # For instructors only (the JSON, the batch CSV and summary; never a student's view):
    # what the worker's integrity watch saw (gradkit.untrusted.integrity) and what the
    # static scan of the source found (gradkit.review). Flags, not verdicts.
    flags: list[dict[str, Any]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # An ungraded function says so where every format shows notes (once, however
        # often the result is rebuilt from its file).
        from .i18n import text
        ungraded = [f"{f.topic}.{f.function}" for f in self.functions if f.regrade]
        lang = self.language if self.language in ("en", "zh") else None
        note = text("note.ungraded", lang, functions=", ".join(ungraded))
        if ungraded and note not in self.notes:
            self.notes = [*self.notes, note]

    @property
    def score(self) -> float:
        return round(sum(f.score for f in self.functions), 2)

    @property
    def max_score(self) -> float:
        return round(sum(f.max_score for f in self.functions), 2)

    @property
    def regrade(self) -> bool:
        """Some check failed through the grader's own error: grade this submission again."""
        return any(f.regrade for f in self.functions)

    @property
    def all_passed(self) -> bool:
        return all(f.status == PASSED for f in self.functions)

    def public(self, message: str) -> "GradeResult":
        """The result with every hidden check's details replaced by ``message``."""
        return replace(self, functions=[f.public(message) for f in self.functions])

    def function(self, topic: str, name: str) -> FunctionResult:
        for fn in self.functions:
            if fn.topic == topic and fn.function == name:
                return fn
        raise KeyError(f"{topic}.{name}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "submission": self.submission,
            "execution_time": round(self.execution_time_s, 3),
            "language": self.language,
            "notes": list(self.notes),
            "regrade": self.regrade,
            "flags": list(self.flags),
            "review": list(self.review),
            "environment": dict(self.environment),
            "functions": [
                {
                    "topic": f.topic,
                    "function": f.function,
                    "score": f.score,
                    "max_score": f.max_score,
                    "status": f.status,
                    "gated_by": f.gated_by,
                    "regrade": f.regrade,
                    "checks": [_check_dict(c) for c in f.checks],
                    **({"pictures": f.pictures} if f.pictures else {}),
                }
                for f in self.functions
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GradeResult":
        functions = []
        for f in data["functions"]:
            checks = []
            for c in f["checks"]:
                c = dict(c)
                c.pop("passed", None)
                c["duration_s"] = c.pop("duration", 0.0)
                checks.append(CheckResult(**c))
            functions.append(FunctionResult(f["topic"], f["function"], f["max_score"], checks,
                                            f.get("pictures")))
        return cls(data.get("submission", ""), functions, data.get("notes", []),
                   data.get("environment", {}), data.get("execution_time", 0.0),
                   data.get("language", "en"), list(data.get("flags", [])),
                   list(data.get("review", [])))


def skip_notes(functions: list[FunctionResult]) -> list[str]:
    """A result's notes from its skipped checks (each reason once: CUDA absent, withheld)."""
    return sorted({c.message for f in functions for c in f.checks if c.skipped})


def _quantize(x: float, most: float) -> float:
    """``x`` (0 ≤ x ≤ most) to the nearest multiple of the policy's quantum, never up to
    ``most`` when short of it and never down to 0 when above it (where ``most`` allows)."""
    from .catalog import QUANTUM
    q = round(round(x / QUANTUM) * QUANTUM, 4)
    if x < most and q >= most:
        q = round(most - QUANTUM, 4) if most - QUANTUM >= QUANTUM else q
    if x > 0 and q <= 0 and most > QUANTUM:
        q = QUANTUM
    return max(0.0, min(q, most))


def _earned(checks: list[CheckResult], most: float, keeps: float) -> float:
    """What ``checks`` (value checks) earn of ``most`` points, gated by ``keeps``."""
    total = sum(c.weight for c in checks)
    if not total or not most:
        return 0.0
    earned = _quantize(most * sum(c.weight for c in checks if c.passed) / total, most)
    return _quantize(earned * keeps, most) if keeps < 1 else earned


def _check_dict(c: CheckResult) -> dict[str, Any]:
    d = asdict(c)
    d["passed"] = c.passed
    d["duration"] = round(d.pop("duration_s"), 4)
    return d
