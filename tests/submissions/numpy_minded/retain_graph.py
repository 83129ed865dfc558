"""保留计算图 — numpy-minded style."""
import torch


def backward_twice(z, x):
    z.backward(retain_graph=True)
    z.backward()
    return x.grad.detach().clone()


def two_losses_grads(loss1, loss2, W):
    # Each loss gets its own backward; a hook on W captures the gradient that
    # flows into it, so nothing depends on what W.grad held before.
    captured = []
    handle = W.register_hook(lambda g: captured.append(g.detach().clone()))
    try:
        loss1.backward(retain_graph=True)
        loss2.backward()
    finally:
        handle.remove()
    return captured[0], captured[1]


def second_derivative(coeffs, x):
    xx = x.detach().clone().requires_grad_(True)
    c = coeffs.detach()
    # Horner: p = (((c_{K-1}) x + c_{K-2}) x + ...) x + c_0
    p = c[-1].expand_as(xx)
    for k in range(c.shape[0] - 2, -1, -1):
        p = p * xx + c[k]
    if not p.requires_grad:                       # degree 0: p″ ≡ 0
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(p.sum(), xx, create_graph=True)
    if not g.requires_grad:                       # degree ≤ 1: p′ is constant
        return torch.zeros_like(x)
    (h,) = torch.autograd.grad(g.sum(), xx, allow_unused=True)
    if h is None:
        return torch.zeros_like(x)
    return h.detach()
