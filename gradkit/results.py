"""The results model: the one thing every reporter reads.

Scores are computed here from check outcomes; reporters never recompute or
reinterpret them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass
class CheckResult:
    name: str
    outcome: str
    message: str = ""
    check: str = ""  # the check's id without its parameters, e.g. "manual_grad::matches_autograd"
    weight: float = 1.0
    call: str | None = None  # the smallest failing call, in plain words
    inputs: dict | None = None
    expected: str | None = None
    got: str | None = None
    misconception: str | None = None
    error_kind: str | None = None  # set when the code could not answer at all
    duration_s: float = 0.0
    hidden: bool = False  # from checks/hidden/: its details wait until grades are published

    def redacted(self, message: str) -> "CheckResult":
        """What a student may see of a hidden check before grades are published: its
        outcome and weight, and ``message`` instead of its inputs and values."""
        if not self.hidden or self.outcome != FAILED:
            return self
        return replace(self, message=message, call=None, inputs=None, expected=None, got=None,
                       misconception=None)

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED

    @property
    def skipped(self) -> bool:
        return self.outcome == SKIPPED


@dataclass
class FunctionResult:
    topic: str
    function: str
    max_score: float
    checks: list[CheckResult] = field(default_factory=list)
    # Drawn for the reports when asked: {"graphs": {"student": d, "reference": d}} with
    # d = {"text", "dot", "nodes"}, and/or {"curves": {"losses", "paths", "parted_at"}}.
    pictures: dict | None = None

    @property
    def score(self) -> float:
        ran = [c for c in self.checks if not c.skipped]
        total = sum(c.weight for c in ran)
        if not total:
            return 0.0
        return round(self.max_score * sum(c.weight for c in ran if c.passed) / total, 2)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if c.outcome == FAILED]

    def split(self) -> dict[bool, tuple[float, float]]:
        """{hidden: (score, max score)} of the visible and the hidden checks alone.
        The hidden part is computed, the visible part is the rest, so the two add
        up exactly to ``score`` and ``max_score``."""
        ran = [c for c in self.checks if not c.skipped]
        total = sum(c.weight for c in ran)
        hidden = [c for c in ran if c.hidden]
        if not total or not hidden:
            return {False: (self.score, self.max_score), True: (0.0, 0.0)}
        score = round(self.max_score * sum(c.weight for c in hidden if c.passed) / total, 4)
        most = round(self.max_score * sum(c.weight for c in hidden) / total, 4)
        return {False: (round(self.score - score, 4), round(self.max_score - most, 4)),
                True: (score, most)}

    def public(self, message: str) -> "FunctionResult":
        """This function as a student sees it before grades are published."""
        return replace(self, checks=[c.redacted(message) for c in self.checks])

    @property
    def status(self) -> str:
        """passed, failed (some checks failed) or missing (nothing could run)."""
        if not self.failed:
            return PASSED
        return "partial" if self.score > 0 else FAILED


@dataclass
class GradeResult:
    submission: str
    functions: list[FunctionResult]
    notes: list[str] = field(default_factory=list)
    environment: dict = field(default_factory=dict)
    execution_time_s: float = 0.0
    language: str = "en"  # the language its messages were written in

    @property
    def score(self) -> float:
        return round(sum(f.score for f in self.functions), 2)

    @property
    def max_score(self) -> float:
        return round(sum(f.max_score for f in self.functions), 2)

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

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "submission": self.submission,
            "execution_time": round(self.execution_time_s, 3),
            "language": self.language,
            "notes": list(self.notes),
            "environment": dict(self.environment),
            "functions": [
                {
                    "topic": f.topic,
                    "function": f.function,
                    "score": f.score,
                    "max_score": f.max_score,
                    "status": f.status,
                    "checks": [_check_dict(c) for c in f.checks],
                    **({"pictures": f.pictures} if f.pictures else {}),
                }
                for f in self.functions
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "GradeResult":
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
                   data.get("language", "en"))


def _check_dict(c: CheckResult) -> dict:
    d = asdict(c)
    d["passed"] = c.passed
    d["duration"] = round(d.pop("duration_s"), 4)
    return d
