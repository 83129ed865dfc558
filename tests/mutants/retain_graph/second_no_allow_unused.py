"""Two calls of torch.autograd.grad with no care for degree 0 or 1, where p′ does not
depend on x: the second call raises."""
BREAKS = "second_derivative"
MISCONCEPTION = "second_grad_unused"


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    p = torch.zeros_like(x)
    for c in reversed(coeffs):
        p = p * x + c
    (dp,) = torch.autograd.grad(p.sum(), x, create_graph=True)
    (d2p,) = torch.autograd.grad(dp.sum(), x)
    return d2p.detach()
