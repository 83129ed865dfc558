"""Autograd used in a function that asks for the gradient by hand."""
BREAKS = "matrix_mse_grad"
MISCONCEPTION = "autograd_in_manual"


def matrix_mse_grad(X, y, w):
    w = w.clone().requires_grad_(True)
    loss = ((X @ w - y) ** 2).sum() / (2 * X.shape[0])
    loss.backward()
    return w.grad
