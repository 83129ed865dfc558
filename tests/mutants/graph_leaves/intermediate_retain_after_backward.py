"""Calls y.retain_grad() after backward, too late to keep anything."""
BREAKS = "intermediate_grad"
MISCONCEPTION = "retain_grad_missing"


def intermediate_grad(x):
    y = x ** 2
    z = (y ** 2).sum()
    z.backward()
    y.retain_grad()
    return x.grad.detach().clone(), y.grad
