"""An independent correct submission: grad_accumulation, with loops."""

import torch


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    start = 0
    while start < m:
        stop = min(start + micro_batch, m)
        chunk_loss = ((X[start:stop] @ w - y[start:stop]) ** 2).mean() * (stop - start) / m
        chunk_loss.backward()
        start = stop
    return w.grad.clone().detach()


def grads_without_zeroing(x, k):
    out = torch.empty((k,) + tuple(x.shape), dtype=x.dtype, device=x.device)
    for i in range(k):
        f = (x * x).sum()
        f.backward()
        out[i] = x.grad          # assignment copies the values
    return out


def zero_grad(params, set_to_none):
    for p in params:
        if p.grad is not None:
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_()
                p.grad.zero_()
