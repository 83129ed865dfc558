"""Asks for a contraction factor |1 − 2a·lr| ≤ 1 instead of < 1: lr = 1/a (factor −1) counted as converging."""
BREAKS = "converges"
MISCONCEPTION = "boundary_included"


def converges(a, lr):
    return lr > 0 and abs(1 - 2 * a * lr) <= 1
