"""lr < 2/a: the "lr < 2/curvature" rule applied with a as the curvature (it is 2a)."""
BREAKS = "converges"
MISCONCEPTION = "curvature_confused"


def converges(a, lr):
    return 0 < lr < 2 / a
