"""Accumulates the gradients sample by sample, taking ∂ŷ/∂w as 1 (the x factor forgotten)."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "missing_input_factor"


def linear_mse_grad(x, y, w, b):
    n = x.numel()
    dw = torch.zeros_like(w)
    db = torch.zeros_like(b)
    for i in range(n):
        r = w * x[i] + b - y[i]
        dw = dw + 2 * r / n
        db = db + 2 * r / n
    return dw, db
