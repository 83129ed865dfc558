"""Gradient accumulation and zero_grad."""
import torch


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    for start in range(0, m, micro_batch):
        Xb = X[start:start + micro_batch]
        yb = y[start:start + micro_batch]
        loss = ((Xb @ w - yb) ** 2).sum() / m
        loss.backward()
    return w.grad.detach().clone()


def grads_without_zeroing(x, k):
    snaps = []
    for _ in range(k):
        f = (x ** 2).sum()
        f.backward()
        snaps.append(x.grad.detach().clone())
    return torch.stack(snaps)


def zero_grad(params, set_to_none):
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()
    return None
