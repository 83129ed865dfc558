"""linear_mse_grad divides by n + 1e-3 "to be safe": right to 0.1 %, never exact."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "approximation_not_exact"


def linear_mse_grad(x, y, w, b):
    r = w * x + b - y
    n = x.numel() + 1e-3
    return (2 * r * x).sum() / n, (2 * r).sum() / n
