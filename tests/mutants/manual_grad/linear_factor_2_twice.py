"""The factor 2 of the square applied twice."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "extra_factor_2"


def linear_mse_grad(x, y, w, b):
    d_yhat = 2 * (w * x + b - y)
    return (2 * d_yhat * x).mean(), (2 * d_yhat).mean()
