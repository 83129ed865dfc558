"""The 1/m of the mean dropped: Xᵀ(Xw − y) is the gradient of the sum."""
BREAKS = "matrix_mse_grad"
MISCONCEPTION = "sum_instead_of_mean"


def matrix_mse_grad(X, y, w):
    return X.T @ (X @ w - y)
