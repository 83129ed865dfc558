"""梯度累加与清零 — numpy-minded style."""
import torch


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    for start in range(0, m, micro_batch):
        Xb, yb = X[start:start + micro_batch], y[start:start + micro_batch]
        r = torch.einsum("ij,j->i", Xb, w) - yb
        # each micro-batch contributes its *sum* divided by the full m
        (torch.einsum("i,i->", r, r) / m).backward()
    return w.grad.detach().clone()


def grads_without_zeroing(x, k):
    snaps = torch.empty((k,) + tuple(x.shape), dtype=x.dtype, device=x.device)
    for i in range(k):
        torch.einsum("...,...->", x, x).backward()
        snaps[i].copy_(x.grad.detach())
    return snaps


def zero_grad(params, set_to_none=True):
    for p in params:
        g = p.grad
        if g is None:
            continue
        if set_to_none:
            p.grad = None
            continue
        if g.grad_fn is not None:
            g.detach_()
        else:
            g.requires_grad_(False)
        g.zero_()
    return None
