"""Only ∂L/∂w lost its factor 2; ∂L/∂b is right. (On the worked example x = [2] this
coincides with "∂ŷ/∂w = x missing": that name must not be shown.)"""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "dropped_factor_2"


def linear_mse_grad(x, y, w, b):
    r = w * x + b - y
    return (r * x).mean(), 2 * r.mean()
