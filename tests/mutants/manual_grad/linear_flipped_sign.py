"""Residual taken as y − ŷ but differentiated as if it were ŷ − y: the sign flips."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "flipped_sign"


def linear_mse_grad(x, y, w, b):
    residual = y - (w * x + b)
    return (2 * residual * x).mean(), (2 * residual).mean()
