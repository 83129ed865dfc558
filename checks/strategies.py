"""Hypothesis strategies shared by the checks.

Values are drawn as float32-representable Python floats (``width=32``), so a
float32 and a float64 check see exactly the same numbers, and shrink toward
small, readable counterexamples. Ranges keep correct float32 answers well
inside tolerance (the curriculum's fairness rules).
"""

from __future__ import annotations

from hypothesis import strategies as st


def floats(lo: float = -3.0, hi: float = 3.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=32)


def vectors(n: int, lo: float = -3.0, hi: float = 3.0):
    return st.lists(floats(lo, hi), min_size=n, max_size=n)


def matrices(rows: int, cols: int, lo: float = -3.0, hi: float = 3.0):
    return st.lists(vectors(cols, lo, hi), min_size=rows, max_size=rows)


# Whole-case scale factors: answers scale with them, so relative tolerances
# still hold, and mistakes that only show at large or tiny magnitudes surface.
magnitudes = st.sampled_from([1.0, 0.01, 100.0])


def small_ints(lo: int = -2, hi: int = 2):
    return st.integers(lo, hi)


@st.composite
def low_rank_matrices(draw, max_dim: int = 5):
    """An (m, d) matrix of exact rank r <= min(m, d), r drawn too.

    X = A @ B with small integer entries, so X is exactly rank-deficient in
    floating point (no rounding hides or creates a tiny singular value).
    """
    m = draw(st.integers(1, max_dim))
    d = draw(st.integers(1, max_dim))
    r = draw(st.integers(1, min(m, d)))
    a = draw(st.lists(st.lists(small_ints(), min_size=r, max_size=r), min_size=m, max_size=m))
    b = draw(st.lists(st.lists(small_ints(), min_size=d, max_size=d), min_size=r, max_size=r))
    rows = [[float(sum(a[i][k] * b[k][j] for k in range(r))) for j in range(d)] for i in range(m)]
    return rows
