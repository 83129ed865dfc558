"""Computes in float32 whatever the input dtype and casts back: float64 answers lose float64's precision."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "float32_inside"


def linear_mse_grad(x, y, w, b):
    dtype = x.dtype
    x, y, w, b = (t.float() for t in (x, y, w, b))
    residual = w * x + b - y
    return (2 * residual * x).mean().to(dtype), (2 * residual).mean().to(dtype)
