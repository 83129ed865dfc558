"""Checks only that the per-step factor 1 − 2a·lr stays above −1 (no overshoot): lr ≤ 0 passes."""
BREAKS = "converges"
MISCONCEPTION = "nonpositive_lr"


def converges(a, lr):
    factor = 1 - 2 * a * lr
    return factor > -1
