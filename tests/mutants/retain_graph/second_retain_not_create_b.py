"""retain_graph=True where create_graph=True was needed (Horner's rule for p)."""
BREAKS = "second_derivative"
MISCONCEPTION = "create_graph_forgotten"


def second_derivative(coeffs, x):
    xs = x.detach().requires_grad_()
    p = torch.zeros_like(xs)
    for c in reversed(coeffs):
        p = p * xs + c
    first = torch.autograd.grad(p, xs, torch.ones_like(p), retain_graph=True)[0]
    second = torch.autograd.grad(first, xs, torch.ones_like(first))[0]
    return second.detach()
