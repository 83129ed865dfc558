"""Calling backward more than once."""
import torch


def backward_twice(z, x):
    z.backward(retain_graph=True)
    z.backward()
    return x.grad.detach().clone()


def two_losses_grads(loss1, loss2, W):
    loss1.backward(retain_graph=True)
    g1 = W.grad.detach().clone()
    loss2.backward()
    g2 = W.grad.detach().clone()
    return g1, g2


def second_derivative(coeffs, x):
    xx = x.detach().clone().requires_grad_(True)
    c = coeffs.detach()
    p = torch.zeros_like(xx)
    for k in range(c.shape[0]):
        p = p + c[k] * xx ** k
    (d1,) = torch.autograd.grad(p.sum(), xx, create_graph=True, allow_unused=True)
    if d1 is None or not d1.requires_grad:
        return torch.zeros_like(x)
    (d2,) = torch.autograd.grad(d1.sum(), xx, allow_unused=True)
    if d2 is None:
        return torch.zeros_like(x)
    return d2.detach()
