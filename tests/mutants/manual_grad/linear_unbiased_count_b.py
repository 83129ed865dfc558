"""An "unbiased" count: the sums over len(x) - 1."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "divided_by_n_minus_1"


def linear_mse_grad(x, y, w, b):
    count = len(x) - 1
    err = (w * x + b) - y
    return torch.sum(2 * err * x) / count, torch.sum(2 * err) / count
