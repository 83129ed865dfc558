"""Takes the mean and then divides by n again (a mean of means)."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "divided_by_n_squared"


def linear_mse_grad(x, y, w, b):
    residual = w * x + b - y
    count = len(x)
    return (2 * residual * x).mean() / count, (2 * residual).mean() / count
