"""Builds p from stacked powers and stops after the first autograd.grad: p′(x) is returned as p″(x)."""
BREAKS = "second_derivative"
MISCONCEPTION = "first_for_second"


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    powers = torch.stack([x ** k for k in range(coeffs.shape[0])])    # (K, n)
    p = (coeffs[:, None] * powers).sum(0)
    (d,) = torch.autograd.grad(p, x, torch.ones_like(p), create_graph=True)
    return d.detach()
