"""The shrink budget also caps the shrink steps the grader runs itself (gradkit/shrink_budget.py
``SHRINK_EXAMPLES``): steps that make no worker call (answered from the cache, or never
reaching the student) stop there too."""

import hypothesis
import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st

from gradkit import shrink_budget
from gradkit.shrink_budget import BUDGET


def _runs_of_a_failing_check() -> int:
    """How often a check that always fails, and calls nobody, runs under hypothesis."""
    runs = []

    @settings(database=None, derandomize=True, max_examples=20, deadline=None,
              phases=[Phase.generate, Phase.shrink])
    @hypothesis.given(st.lists(st.integers(0, 1000), min_size=20, max_size=40))
    def check(xs):
        runs.append(xs)
        assert sum(xs) < 5000 or len(set(xs)) < 5

    BUDGET.reset()
    try:
        with pytest.raises(AssertionError):
            check()
    finally:
        BUDGET.reset()
    return len(runs)


def test_a_shrink_stops_after_its_steps_even_without_worker_calls(monkeypatch):
    capped = _runs_of_a_failing_check()
    # the first failure's steps, at most SHRINK_EXAMPLES in all, and hypothesis's final replay
    assert capped <= shrink_budget.SHRINK_EXAMPLES + 2
    monkeypatch.setattr(shrink_budget, "SHRINK_EXAMPLES", 10**6)
    assert _runs_of_a_failing_check() > capped  # without the cap the same shrink runs longer
