"""Reference solutions: retain_graph (保留计算图). Backward more than once."""

import torch


def backward_twice(z, x):
    z.backward(retain_graph=True)   # keep the saved tensors for the second pass
    z.backward()                    # gradients accumulate: x.grad = 2 dz/dx
    return x.grad.detach().clone()


def two_losses_grads(loss1, loss2, W):
    loss1.backward(retain_graph=True)     # loss2 shares this graph: keep it
    g1 = W.grad.detach().clone()          # a copy: the next backward adds into W.grad
    W.grad = None                         # clear before the second loss
    loss2.backward()
    return g1, W.grad.detach().clone()


def second_derivative(coeffs, x):
    x = x.detach().clone().requires_grad_(True)
    p = sum(c * x ** k for k, c in enumerate(coeffs))
    (dp,) = torch.autograd.grad(p.sum(), x, create_graph=True)
    (d2p,) = torch.autograd.grad(dp.sum(), x)
    return d2p.detach()
