"""Reference solutions: retain_graph (保留计算图). Backward more than once."""

import torch


def backward_twice(z, x):
    z.backward(retain_graph=True)   # keep the saved tensors for the second pass
    z.backward()                    # gradients accumulate: x.grad = 2 dz/dx
    return x.grad.detach().clone()


def two_losses_grads(loss1, loss2, W):
    loss1.backward(retain_graph=True)
    grad1 = W.grad.detach().clone()
    loss2.backward()
    grad2 = W.grad.detach().clone()
    return grad1, grad2


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    p = torch.zeros_like(x)
    for c in reversed(coeffs):            # Horner: p = (...(c_K x + c_{K-1}) x + ...) + c_0
        p = p * x + c
    (dp,) = torch.autograd.grad(p.sum(), x, create_graph=True)   # p'(x), itself differentiable
    if not dp.requires_grad:              # degree 0 or 1: p' does not depend on x
        return torch.zeros_like(x).detach()
    (d2p,) = torch.autograd.grad(dp.sum(), x, allow_unused=True, materialize_grads=True)
    return d2p.detach()
