"""Doubles torch.autograd.grad's answer instead of calling backward twice: x.grad is never filled."""
BREAKS = "backward_twice"
MISCONCEPTION = "formula_instead_of_backward"

import torch


def backward_twice(z, x):
    (g,) = torch.autograd.grad(z, x)
    return (2 * g).detach()
