"""Powers as x ** torch.arange(K): the double backward of x ** 0 gives NaN at x = 0."""
BREAKS = "second_derivative"
MISCONCEPTION = "nan_at_zero"


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    powers = x.unsqueeze(1) ** torch.arange(len(coeffs), dtype=x.dtype, device=x.device)
    p = powers @ coeffs
    (dp,) = torch.autograd.grad(p.sum(), x, create_graph=True)
    (d2p,) = torch.autograd.grad(dp.sum(), x)
    return d2p.detach()
