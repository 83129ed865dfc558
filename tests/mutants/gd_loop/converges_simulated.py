"""Decides convergence by simulating 1000 steps from w = 1 and looking where w ends up."""
BREAKS = "converges"
MISCONCEPTION = "simulated_convergence"


def converges(a, lr):
    w = 1.0
    for _ in range(1000):
        w = w - lr * 2 * a * w
        if abs(w) > 1e6:
            return False
    return abs(w) < 1e-3
