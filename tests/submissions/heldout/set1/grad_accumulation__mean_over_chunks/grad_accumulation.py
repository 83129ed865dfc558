"""Reference solutions: grad_accumulation (梯度累加与清零). .grad adds up until zeroed."""

import math

import torch


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    n_chunks = math.ceil(m / micro_batch)
    for start in range(0, m, micro_batch):
        stop = start + micro_batch
        chunk_loss = ((X[start:stop] @ w - y[start:stop]) ** 2).mean()
        (chunk_loss / n_chunks).backward()
    return w.grad.detach().clone()


def grads_without_zeroing(x, k):
    snapshots = []
    for _ in range(k):
        (x ** 2).sum().backward()               # a fresh graph each time; .grad adds up
        snapshots.append(x.grad.detach().clone())  # clone: .grad is updated in place
    return torch.stack(snapshots)


def zero_grad(params, set_to_none):
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:      # a grad built with create_graph=True
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()                       # the same tensor object, zeroed in place
