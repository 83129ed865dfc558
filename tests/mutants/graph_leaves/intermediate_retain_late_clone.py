"""retain_grad() called after backward, then y.grad.clone(): y.grad is None, it raises."""
BREAKS = "intermediate_grad"
MISCONCEPTION = "retain_grad_missing"


def intermediate_grad(x):
    y = x ** 2
    z = (y ** 2).sum()
    z.backward()
    y.retain_grad()
    return x.grad.detach().clone(), y.grad.clone()
