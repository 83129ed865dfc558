"""The mean taken over the columns: divided by d (features) instead of m (samples)."""
BREAKS = "matrix_mse_grad"
MISCONCEPTION = "divided_by_other_dimension"


def matrix_mse_grad(X, y, w):
    d = X.shape[1]
    return X.T @ (X @ w - y) / d
