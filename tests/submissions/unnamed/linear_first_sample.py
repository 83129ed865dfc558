"""Gradients from the first sample only (no catalogued mistake names this): right
whenever n = 1, wrong for every n > 1. The failure profile must say so."""
BREAKS = "linear_mse_grad"
TOPIC = "manual_grad"
PROFILE = ("n_is_1", False)


def linear_mse_grad(x, y, w, b):
    residual = w * x[0] + b - y[0]
    return 2 * residual * x[0], 2 * residual
