"""second_derivative as a central difference of the autograd first derivative: close (exact
up to degree 3), but not p''(x) at float64's precision."""
BREAKS = "second_derivative"
MISCONCEPTION = "approximation_not_exact"


def second_derivative(coeffs, x):
    h = 1e-3

    def slope(at):
        at = at.detach().clone().requires_grad_(True)
        p = sum(c * at ** k for k, c in enumerate(coeffs))
        (d,) = torch.autograd.grad(p.sum(), at, allow_unused=True) if torch.is_tensor(p) and p.requires_grad else (None,)
        return torch.zeros_like(at) if d is None else d

    return ((slope(x + h) - slope(x - h)) / (2 * h)).detach()
