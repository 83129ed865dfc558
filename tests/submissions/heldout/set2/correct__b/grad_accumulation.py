"""Gradient accumulation and zero_grad."""
import math

import torch


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    n_chunks = math.ceil(m / micro_batch)
    for c in range(n_chunks):
        lo = c * micro_batch
        hi = min(lo + micro_batch, m)
        pred = X[lo:hi] @ w
        # weight each chunk's mean by its share of the full batch
        loss = ((pred - y[lo:hi]) ** 2).mean() * ((hi - lo) / m)
        loss.backward()
    return w.grad.clone()


def grads_without_zeroing(x, k):
    out = torch.empty((k,) + tuple(x.shape), dtype=x.dtype, device=x.device)
    for i in range(k):
        x.pow(2).sum().backward()
        out[i] = x.grad
    return out


def zero_grad(params, set_to_none):
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
