"""Forgets that the loss divides by 2m: the gradient keeps the 2 of the square."""
BREAKS = "matrix_mse_grad"
MISCONCEPTION = "extra_factor_2"


def matrix_mse_grad(X, y, w):
    m = X.shape[0]
    return 2 * X.T @ (X @ w - y) / m
