"""Hidden checks for gd_loop: long runs, where small mistakes compound."""

from __future__ import annotations

import pytest

from hypothesis import strategies as st

from gradkit.testing import given

from checks.gd_loop import TOPIC, gd_args, gd_cases, gd_ref, make_case


@st.composite
def long_runs(draw):
    x, y, w0, b0, lr, _ = draw(gd_cases())
    return x, y, w0, b0, lr, draw(st.integers(20, 40))


@pytest.mark.grades(TOPIC, "gradient_descent")
@given(raw=long_runs())
def test_gradient_descent_long_runs(student, device, dtype, raw):
    """20 to 40 steps, every loss recorded before its update."""
    case = make_case(student, "gradient_descent", gd_args(raw, dtype, device))
    case.expect_tensors(case.run().value, gd_ref(*case.args), ("w", "b", "losses"))
