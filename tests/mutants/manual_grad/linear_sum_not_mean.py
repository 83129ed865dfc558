"""Summed over the samples instead of averaging: L is a mean."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "sum_instead_of_mean"


def linear_mse_grad(x, y, w, b):
    residual = w * x + b - y
    return (2 * residual * x).sum(), (2 * residual).sum()
