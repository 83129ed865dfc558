"""What a class did, in aggregates: read from the per-student results files that
``grade-batch`` writes (``<student>.json``), one at a time, so 5,000 students cost
5,000 small reads and a few counters, never 5,000 results held at once.

Only the results model is read (``GradeResult.from_dict``); nothing is graded or
recomputed here: scores, statuses and misconception ids are the results' own.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import catalog, inert, review
from .results import GradeResult

# Files grade-batch writes beside the results that are not a student's result.
NOT_RESULTS = frozenset({"summary.json"})
EXAMPLE_CHARS = 240  # an example's call, expected and got are cut to this (the page stays small)


def results_files(folder: Path) -> list[Path]:
    """The students' results files of ``folder``, by student id."""
    return sorted(p for p in folder.glob("*.json") if p.name not in NOT_RESULTS)


def read_file(path: Path) -> dict[str, Any] | None:
    """A results file's data; None for a file that is not a result (unreadable, not a
    JSON object with functions), which the class view skips as the batch CSV does."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("functions"), list) else None


def to_result(data: dict[str, Any]) -> GradeResult | None:
    try:
        return GradeResult.from_dict(data)
    except (TypeError, KeyError, ValueError, AttributeError):  # a file that only looks like one
        return None


# What the aggregates never read: the results model makes each of these inert as it is
# set, which is most of the cost of reading a result, so they are left out (``light``).
HEAVY = ("message", "inputs", "expected", "got", "parts", "profile", "output", "call")
EXAMPLE = ("call", "expected", "got")


@dataclass
class FunctionStats:
    topic: str
    function: str
    max_score: float
    scores: list[float] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def full_marks(self) -> int:
        return sum(s >= self.max_score for s in self.scores)


@dataclass
class CheckStats:
    check: str  # the check's id without its parameters
    function: str
    passed: int = 0
    failed: int = 0

    @property
    def pass_rate(self) -> float:
        total = self.passed + self.failed
        return self.passed / total if total else 0.0


@dataclass
class Example:
    """One student's failing check that a misconception explained (inert text)."""
    student: str
    function: str
    call: str
    expected: str
    got: str


@dataclass
class MisconceptionStats:
    mid: str
    students: set[str] = field(default_factory=set)
    functions: Counter[str] = field(default_factory=Counter)
    example: Example | None = None


@dataclass
class Flagged:
    student: str
    what: str  # the batch CSV's review cell: flags, scan hits, regrade (inert, one line)


@dataclass
class ClassStats:
    """The class in aggregates; ``add`` one result at a time."""
    totals: dict[str, tuple[float, float]] = field(default_factory=dict)  # student -> (score, max)
    ungraded: list[str] = field(default_factory=list)
    functions: dict[tuple[str, str], FunctionStats] = field(default_factory=dict)
    checks: dict[str, CheckStats] = field(default_factory=dict)
    misconceptions: dict[str, MisconceptionStats] = field(default_factory=dict)
    flagged: list[Flagged] = field(default_factory=list)
    isolation: Counter[str] = field(default_factory=Counter)

    def light(self, data: dict[str, Any]) -> GradeResult | None:
        """The result of ``data`` with only what the aggregates read: outcomes, weights,
        ids and flags (so every score is the model's own), and an example's call,
        expected and got only where a misconception still lacks one."""
        for fn in data["functions"]:
            if not isinstance(fn, dict) or not isinstance(fn.get("checks"), list):
                return None
            fn.pop("pictures", None)
            for check in fn["checks"]:
                if not isinstance(check, dict):
                    return None
                if check.get("check"):  # the id stands for the name (scores read the id first)
                    check["name"] = ""
                mid = check.get("misconception")
                example = not check.get("passed") and isinstance(mid, str) and (
                    mid not in self.misconceptions or self.misconceptions[mid].example is None)
                for key in HEAVY:
                    if key not in check:
                        continue
                    if example and key in EXAMPLE and isinstance(check[key], str):
                        check[key] = check[key][:2 * EXAMPLE_CHARS]  # _cut has the last word
                    elif not (example and key in EXAMPLE):
                        del check[key]
        return to_result(data)

    def add(self, student: str, result: GradeResult) -> None:
        student = inert.line(student)
        self.totals[student] = (result.score, result.max_score)
        if result.flags or result.review or result.regrade:
            self.flagged.append(Flagged(student, inert.line(review.column(result))))
        if not result.functions:  # could not be graded: counted apart, not as zeros per check
            self.ungraded.append(student)
            return
        level = ((result.environment or {}).get("isolation") or {}).get("level")
        self.isolation[str(level) if level else "unknown"] += 1
        for fn in result.functions:
            key = (fn.topic, fn.function)
            self.functions.setdefault(key, FunctionStats(fn.topic, fn.function, fn.max_score)
                                      ).scores.append(fn.score)
            for check in fn.checks:
                if check.skipped or check.error_kind == "harness":
                    continue  # as in the score: a skipped check or the grader's error counts for nothing
                name = check.check or check.name
                row = self.checks.setdefault(name, CheckStats(name, fn.function))
                if check.passed:
                    row.passed += 1
                else:
                    row.failed += 1
            for check in fn.failed:
                if check.misconception:
                    self._misconception(student, fn.function, check.misconception, check)

    def _misconception(self, student: str, function: str, mid: str, check: Any) -> None:
        row = self.misconceptions.setdefault(mid, MisconceptionStats(mid))
        if student not in row.students:
            row.functions[function] += 1
        row.students.add(student)
        if row.example is None and check.call:
            row.example = Example(student, function, _cut(check.call), _cut(check.expected or ""),
                                  _cut(check.got or ""))

    def merge(self, other: "ClassStats") -> None:
        """Add ``other`` (the next students, in order) to these aggregates."""
        self.totals.update(other.totals)
        self.ungraded += other.ungraded
        for key, fn in other.functions.items():
            self.functions.setdefault(key, FunctionStats(fn.topic, fn.function, fn.max_score)
                                      ).scores.extend(fn.scores)
        for name, check in other.checks.items():
            row = self.checks.setdefault(name, CheckStats(name, check.function))
            row.passed += check.passed
            row.failed += check.failed
        for mid, m in other.misconceptions.items():
            row_m = self.misconceptions.setdefault(mid, MisconceptionStats(mid))
            row_m.students |= m.students
            row_m.functions.update(m.functions)
            row_m.example = row_m.example or m.example
        self.flagged += other.flagged
        self.isolation.update(other.isolation)

    # -- views the page and the tests read ------------------------------------------------
    @property
    def students(self) -> int:
        return len(self.totals)

    def ranked_misconceptions(self) -> list[MisconceptionStats]:
        """Most students first; ties by id, so the order is stable."""
        return sorted(self.misconceptions.values(), key=lambda m: (-len(m.students), m.mid))

    def hardest_checks(self) -> list[CheckStats]:
        """Lowest pass rate first; ties by catalog order of the function, then name."""
        order = {fn.name: i for i, fn in enumerate(catalog.all_functions())}
        return sorted(self.checks.values(),
                      key=lambda c: (c.pass_rate, order.get(c.function, len(order)), c.check))

    def ordered_functions(self) -> list[FunctionStats]:
        order = {(fn.topic, fn.name): i for i, fn in enumerate(catalog.all_functions())}
        return sorted(self.functions.values(),
                      key=lambda f: order.get((f.topic, f.function), len(order)))

    def graded_topics(self) -> list[str]:
        return list(dict.fromkeys(f.topic for f in self.ordered_functions()))


def _cut(value: str) -> str:
    s = inert.text(value)
    return s if len(s) <= EXAMPLE_CHARS else s[:EXAMPLE_CHARS - 1] + "…"
