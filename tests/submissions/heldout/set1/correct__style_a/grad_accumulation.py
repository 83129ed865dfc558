"""Reference solutions: grad_accumulation (梯度累加与清零). .grad adds up until zeroed."""

import torch


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    for i in range(0, m, micro_batch):
        Xb, yb = X[i:i + micro_batch], y[i:i + micro_batch]
        # Each chunk contributes its *sum* of squared errors / m, so the chunks add
        # up to the full-batch mean even when the last chunk is smaller.
        loss = ((Xb @ w - yb) ** 2).sum() / m
        loss.backward()
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
