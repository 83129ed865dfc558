"""X.t_() used for "the transpose": right value, but the caller's X is changed."""
BREAKS = "matrix_mse_grad"
MISCONCEPTION = "input_mutated"


def matrix_mse_grad(X, y, w):
    residual = X @ w - y
    m = X.shape[0]
    X.t_()
    return X @ residual / m
