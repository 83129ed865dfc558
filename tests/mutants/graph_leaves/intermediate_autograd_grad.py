"""Takes both gradients with torch.autograd.grad instead of backward + retain_grad: x.grad stays None."""
BREAKS = "intermediate_grad"
MISCONCEPTION = "formula_instead_of_backward"

import torch


def intermediate_grad(x):
    y = x ** 2
    z = (y ** 2).sum()
    gx, gy = torch.autograd.grad(z, (x, y))
    return gx.detach(), gy.detach()
