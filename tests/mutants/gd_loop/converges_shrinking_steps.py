"""Says "converges" when a few hundred steps shrink the error by a visible amount."""
BREAKS = "converges"
MISCONCEPTION = "simulated_convergence"


def converges(a, lr):
    if lr <= 0:
        return False
    w = 1.0
    for _ in range(300):
        w -= lr * 2 * a * w
    return abs(w) < 0.5
