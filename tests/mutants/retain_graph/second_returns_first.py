"""Returns the first derivative p'(x) for the second."""
BREAKS = "second_derivative"
MISCONCEPTION = "first_for_second"


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    p = sum(c * x ** k for k, c in enumerate(coeffs))
    (dp,) = torch.autograd.grad(p.sum(), x)
    return dp.detach()
