"""An independent correct submission: retain_graph, with torch.autograd.grad and torch.func."""

import torch


def backward_twice(z, x):
    torch.autograd.backward(z, retain_graph=True)
    torch.autograd.backward(z)
    return x.grad.detach().clone()


def two_losses_grads(loss1, loss2, W):
    (g1,) = torch.autograd.grad(loss1, W, retain_graph=True)
    (g2,) = torch.autograd.grad(loss2, W)
    return g1.detach(), g2.detach()


def second_derivative(coeffs, x):
    def p(t):
        out = torch.zeros_like(t)
        for c in coeffs.flip(0):
            out = out * t + c
        return out

    return torch.func.vmap(torch.func.grad(torch.func.grad(p)))(x).detach()
