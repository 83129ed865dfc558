"""Shrinking with a budget: a wrong answer's counterexample in bounded time, the same every run.

Nearly all the time a buggy submission costs is hypothesis shrinking its
counterexample, every shrink step one more call into the student's worker. Per
check, once the first failure is seen, at most ``SHRINK_CALLS`` new calls go to
the worker; a later input that would need one more is rejected
(``hypothesis.reject()``), so the shrinker gives up on it and keeps the smallest
failure found so far. The budget counts calls, not seconds, so a run on a slow or
busy machine finds the same counterexample as one on a fast machine;
``SAFETY_S`` (seconds of shrinking per check) is only a net for a pathological
check and is not reached by the kit's own checks.

When the budget is spent, the rest of the shrink is called off (hypothesis's own
"shrinking takes too long" exit, taken at once), rather than letting the shrinker try
input after input only to have each rejected: that grader-side work (drawing inputs,
building graphs, computing references) would cost as much as the calls saved. The
budget is also spent after ``SHRINK_EXAMPLES`` shrink steps, calls or not: steps the
cache answers, or that never reach the worker, are grader work too.

Every outcome is kept by the call's encoded request (and the requests made before
it in the same example), so hypothesis's final replay of the best example gets the
very outcome it saw while shrinking, from the cache and without the worker.
Answers that cannot change (crashes, timeouts, resource errors) are
``FatalStudentError``, a BaseException that hypothesis does not shrink at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from typing import Any, Callable, Iterator

from .untrusted import wire
from .verdicts import StudentError

SHRINK_CALLS = int(os.environ.get("GRADKIT_SHRINK_CALLS", "40"))
# Shrink steps the grader runs per check (drawing, building, the reference), worker call or
# not: steps the cache answers or that never reach the worker cost the grader all the same
# (a buggy submission: 979 shrink steps for 613 generated examples, 213 of them in two
# graph_leaves checks that made 35 calls).
SHRINK_EXAMPLES = int(os.environ.get("GRADKIT_SHRINK_EXAMPLES", str(2 * SHRINK_CALLS)))
SAFETY_S = float(os.environ.get("GRADKIT_SHRINK_SAFETY_S", "20"))


def _example() -> object | None:
    """The example hypothesis is running now, or None outside a property check (a planned
    example being replayed counts as one: gradkit/plan.py)."""
    if BUDGET.replayed is not None:
        return BUDGET.replayed
    try:
        from hypothesis.control import _current_build_context
    except ImportError:  # pragma: no cover - a hypothesis without it: no budget, no cache
        return None
    return _current_build_context.value


class Budget:
    """The shrink budget and outcome cache of the check being run."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A new check: nothing cached, no failure seen."""
        self.cache: dict[bytes, tuple[bool, Any]] = {}  # (True, the outcome) or (False, the StudentError)
        self.failed_at: float | None = None
        self.new_calls = 0
        self.example: object | None = None
        self.chain = b""
        self.rejected = 0
        self.exhausted = False
        self.shrink_examples = 0
        self.replayed: object | None = None

    @contextlib.contextmanager
    def replaying(self, index: int) -> Iterator[None]:
        """A planned example runs (gradkit/plan.py): its calls are kept in the cache under
        the keys hypothesis's run of the same example will look up."""
        self.replayed = ("planned example", index)
        try:
            yield
        finally:
            self.replayed = None

    def after_replay(self) -> None:
        """A replay stopped at an example that did not pass, and hypothesis runs the check:
        the outcomes stay cached, the failure seen does not start the shrink budget."""
        self.failed_at, self.new_calls, self.example, self.chain = None, 0, None, b""
        self.rejected, self.exhausted, self.shrink_examples = 0, False, 0

    def failed(self) -> None:
        """The running example failed: from now on, hypothesis is shrinking."""
        if self.failed_at is None and _example() is not None:
            self.failed_at = time.monotonic()

    def call(self, request: dict[str, Any], send: Callable[[], Any]) -> Any:
        """``send()``'s outcome for ``request``, from the cache when this example's calls so far
        were all seen before; past the budget, a new call is rejected instead of made."""
        with wire.reading_once():  # the key's encoding and the request's read each tensor once
            return self._call(request, send)

    def _call(self, request: dict[str, Any], send: Callable[[], Any]) -> Any:
        example = _example()
        if example is None:
            return send()
        if example is not self.example:
            self.example, self.chain = example, b""
        try:
            encoded = wire.encode(request)
        except wire.WireError:
            return send()
        self.chain = hashlib.blake2b(self.chain + encoded, digest_size=20).digest()
        key = self.chain
        if key in self.cache:
            ok, outcome = self.cache[key]
            if ok:
                return outcome
            raise outcome
        if self.failed_at is not None:
            if self.new_calls >= SHRINK_CALLS or time.monotonic() - self.failed_at > SAFETY_S:
                from hypothesis import reject
                self.rejected += 1
                self.exhausted = True
                reject()
            self.new_calls += 1
        try:
            outcome = send()
        except StudentError as exc:  # an ordinary error: the same input raises it again
            self.cache[key] = (False, exc)
            raise
        self.cache[key] = (True, outcome)
        return outcome


BUDGET = Budget()


def _install() -> None:
    """End hypothesis's shrinking as soon as the budget is spent (see above)."""
    try:
        from hypothesis.internal.conjecture import engine
    except ImportError:  # pragma: no cover - then rejected inputs only
        return
    runner = engine.ConjectureRunner
    original = runner.test_function
    if getattr(original, "gradkit_budget", False):
        return

    def test_function(self: Any, data: Any) -> Any:
        result = original(self, data)
        if self.interesting_test_cases:  # shrinking: a step of the budget's
            BUDGET.shrink_examples += 1
            if BUDGET.exhausted or BUDGET.shrink_examples >= SHRINK_EXAMPLES:
                self.exit_with(engine.ExitReason.very_slow_shrinking)
        return result

    test_function.gradkit_budget = True  # type: ignore[attr-defined]  # a mark: installed once
    runner.test_function = test_function  # type: ignore[method-assign]


_install()
