"""The factor 2 from d/dŷ (ŷ − y)² got lost."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "dropped_factor_2"


def linear_mse_grad(x, y, w, b):
    residual = w * x + b - y
    return (residual * x).mean(), residual.mean()
