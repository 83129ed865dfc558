"""∂ŷ/∂w = x forgotten: the w-gradient is written like the b-gradient."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "missing_input_factor"


def linear_mse_grad(x, y, w, b):
    residual = w * x + b - y
    return (2 * residual).mean(), (2 * residual).mean()
