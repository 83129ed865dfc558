"""The mean's 1/n applied twice: the gradient is divided by n² instead of n."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "divided_by_n_squared"


def linear_mse_grad(x, y, w, b):
    n = x.shape[0]
    r = w * x + b - y
    return 2 * (r * x).sum() / n ** 2, 2 * r.sum() / n ** 2
