"""Differentiates the coefficient vector twice by hand (k(k−1)·c_k) and evaluates with Horner: no autograd."""
BREAKS = "second_derivative"
MISCONCEPTION = "no_autograd_for_second"


def second_derivative(coeffs, x):
    K = coeffs.shape[0]
    out = torch.zeros_like(x)
    if K < 3:
        return out
    k = torch.arange(2, K, dtype=coeffs.dtype, device=coeffs.device)
    c2 = coeffs[2:] * k * (k - 1)
    for c in c2.flip(0):
        out = out * x + c
    return out
