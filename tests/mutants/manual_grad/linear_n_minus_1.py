"""Divides by n − 1 (as in a sample variance) instead of n."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "divided_by_n_minus_1"


def linear_mse_grad(x, y, w, b):
    n = x.shape[0]
    r = w * x + b - y
    return 2 * (r * x).sum() / (n - 1), 2 * r.sum() / (n - 1)
