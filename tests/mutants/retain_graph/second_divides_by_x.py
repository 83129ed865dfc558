"""p″ recovered from d(x·p′)/dx = p′ + x·p″ by dividing by x: 0/0 = NaN at x = 0."""
BREAKS = "second_derivative"
MISCONCEPTION = "nan_at_zero"


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    p = torch.zeros_like(x)
    for c in reversed(coeffs):
        p = p * x + c
    (dp,) = torch.autograd.grad(p.sum(), x, create_graph=True)
    (g,) = torch.autograd.grad((x * dp).sum(), x)
    return ((g - dp) / x).detach()
