"""Uses the formula Σ k(k−1)·c_k·x^(k−2) by hand instead of autograd."""
BREAKS = "second_derivative"
MISCONCEPTION = "no_autograd_for_second"


def second_derivative(coeffs, x):
    out = torch.zeros_like(x)
    for k in range(2, len(coeffs)):
        out = out + k * (k - 1) * coeffs[k] * x ** (k - 2)
    return out
