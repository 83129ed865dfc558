"""Forgets y.retain_grad(): y.grad is None after backward."""
BREAKS = "intermediate_grad"
MISCONCEPTION = "retain_grad_missing"


import warnings


def intermediate_grad(x):
    y = x ** 2
    z = (y ** 2).sum()
    z.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x.grad.detach().clone(), y.grad
