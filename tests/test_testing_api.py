"""gradkit.testing.given: the float64 twin of a check draws fewer examples, from the same seed."""

import inspect

import hypothesis
import torch
from hypothesis import strategies as st

from gradkit.testing import given


def _drawn_values(dtype, fewer=False):
    seen = []
    with_profile = hypothesis.settings(derandomize=True, database=None, max_examples=20)
    hypothesis.settings.register_profile("testing-api", with_profile)
    previous = hypothesis.settings.get_current_profile_name()
    hypothesis.settings.load_profile("testing-api")
    try:
        # The check is defined under the profile, as checks are under conftest's.
        @given(x=st.integers(0, 10**9), fewer=fewer)
        def check(device, dtype, x):
            seen.append(x)
        check(device="cpu", dtype=dtype)
    finally:
        hypothesis.settings.load_profile(previous)
    return seen, check


def test_float64_twin_draws_a_quarter_of_the_examples_from_the_same_seed():
    float32, check = _drawn_values(torch.float32)
    float64, _ = _drawn_values(torch.float64)
    assert len(float32) == 20 and len(float64) == 5
    assert float64 == float32[:5]  # derandomized: same check, same seed, same first draws
    assert list(inspect.signature(check).parameters) == ["device", "dtype"]  # what pytest sees


def test_fewer_takes_a_quarter_for_both_dtypes():
    assert len(_drawn_values(torch.float32, fewer=True)[0]) == 5
    assert len(_drawn_values(torch.float64, fewer=True)[0]) == 3
