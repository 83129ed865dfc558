"""Counts len(w) as the number of samples."""
BREAKS = "matrix_mse_grad"
MISCONCEPTION = "divided_by_other_dimension"


def matrix_mse_grad(X, y, w):
    residual = torch.matmul(X, w) - y
    return torch.matmul(residual, X) / len(w)
