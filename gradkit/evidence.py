"""What one check saw, example by example: the ground for verified diagnoses and
failure profiles.

Every call a check makes (hypothesis's generated and shrunk examples, a worked
example) is recorded with the features of its inputs (``n = 1``, ``x contains 0``,
...) and, when it failed, the diagnoses that were tried on it and those that
explained it. A diagnosis is named only when it explains every failing example
it was tried on, the counterexample shown among them; when none does, the
features that separate the passing examples from the failing ones are reported.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

# A deferred test of which wrong variants of the reference reproduce an example's answer
# ({id: reproduced?}, checks/families.py): run only for functions that lost points.
Judge = Callable[[], dict[str, bool]]


class Example:
    __slots__ = ("features", "failed", "ran", "examined", "matched", "judge", "failure", "wrong")

    def __init__(self, features: dict[str, Any]) -> None:
        self.features = dict(features)
        self.failed = False
        self.ran = False
        self.examined: set[str] = set()
        self.matched: list[str] = []
        self.judge: Judge | None = None
        self.failure: BaseException | None = None  # a wrong value's failure (not a crash)
        self.wrong = False  # its answer itself was wrong (a value that failed, or an error)


class Evidence:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.examples: dict[str, Example] = {}

    def seen(self, key: str, features: dict[str, Any]) -> None:
        if key not in self.examples:
            self.examples[key] = Example(features)

    def ran(self, key: str) -> None:
        if key in self.examples:
            self.examples[key].ran = True

    def failed(self, key: str, examined: Iterable[str] = (), matched: Iterable[str] = ()) -> None:
        example = self.examples.setdefault(key, Example({}))
        example.failed = example.ran = True
        example.examined |= set(examined)
        for mid in matched:
            if mid not in example.matched:
                example.matched.append(mid)

    def answered(self, key: str, judge: Judge | None, wrong: bool = False) -> None:
        """The answer of this example (a value compared, or an error raised), as a judge."""
        if judge is not None:
            example = self.examples.setdefault(key, Example({}))
            example.judge = judge
            example.wrong |= wrong

    def wrong_value(self, key: str, failure: BaseException) -> None:
        """This example failed with a value (kept to show when a smaller example raised)."""
        example = self.examples.setdefault(key, Example({}))
        example.wrong = True
        if example.failure is None:
            example.failure = failure

    def failing(self) -> list[Example]:
        return [e for e in self.examples.values() if e.failed]

    def passing(self) -> list[Example]:
        return [e for e in self.examples.values() if e.ran and not e.failed]


EVIDENCE = Evidence()


def verified(candidates: Iterable[str], failing: list[Example]) -> list[str]:
    """The ids among ``candidates`` (those that explain the counterexample, in order)
    that also explain every failing example they were tried on."""
    return [mid for mid in candidates
            if all(mid in e.matched for e in failing if mid in e.examined)]


MIN_WRONG = 2  # one wrong answer a variant happens to give is a coincidence, not a diagnosis


def reproduced_everywhere(examples: list[Example]) -> list[str]:
    """The wrong variants that reproduce the answer of every judged example (failing and
    passing alike), where at least one judged answer was itself wrong (an example that
    failed a rule with a right value is no ground): a variant that fits only the failures,
    or only some of them, is not the mistake."""
    judged = [e for e in examples if e.judge is not None]
    if sum(e.wrong for e in judged) < MIN_WRONG:
        return []
    left: list[str] | None = None
    # Failing examples first: most variants drop out there, and the rest need not run.
    for example in sorted(judged, key=lambda e: not e.wrong):
        try:
            verdict = example.judge()  # type: ignore[misc]  # not None: filtered above
        except Exception:  # a judge that cannot run names nothing
            return []
        left = [mid for mid in (verdict if left is None else left) if verdict.get(mid) is True]
        if not left:
            return []
    return left or []


def profile(passing: list[Example], failing: list[Example]) -> dict[str, Any] | None:
    """The feature that sets the failing examples apart: every failing example has it
    one way (``wrong_when``), and every example that has it the other way passed.
    Among such features, the one under which the largest share of examples failed.
    {"feature", "wrong_when", "passed", "failed", "among"}: ``passed`` examples had it
    the other way, ``failed`` of the ``among`` examples that had it this way failed."""
    if not passing or not failing:
        return None
    names = [n for n in failing[0].features if all(n in e.features for e in passing + failing)]
    best, share = None, 0.0
    for name in names:
        bad = {e.features[name] for e in failing}
        if len(bad) != 1:
            continue
        value = bad.pop()
        right = [e for e in passing if e.features[name] != value]
        if len(right) < 2:  # one passing example is a coincidence, not a pattern
            continue
        among = len(failing) + sum(e.features[name] == value for e in passing)
        if len(failing) / among > share:
            share = len(failing) / among
            best = {"feature": name, "wrong_when": value, "passed": len(right),
                    "failed": len(failing), "among": among}
    return best
