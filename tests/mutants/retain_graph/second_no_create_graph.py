"""The first grad without create_graph=True: p′ has no graph, the second grad raises."""
BREAKS = "second_derivative"
MISCONCEPTION = "create_graph_forgotten"


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    p = sum(c * x ** k for k, c in enumerate(coeffs))
    (dp,) = torch.autograd.grad(p.sum(), x)
    (d2p,) = torch.autograd.grad(dp.sum(), x)
    return d2p.detach()
