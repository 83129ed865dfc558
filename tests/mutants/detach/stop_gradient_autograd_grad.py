"""Takes a's gradient with torch.autograd.grad: the value is right, but a.grad stays None."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "formula_instead_of_backward"

import torch


def stop_gradient_grads(a, b):
    loss = ((a - b.detach()) ** 2).mean()
    (g,) = torch.autograd.grad(loss, a)
    return g.detach(), None
