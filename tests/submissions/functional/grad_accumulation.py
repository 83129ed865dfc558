"""An independent correct submission: grad_accumulation, with split and comprehensions."""

import torch


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    for Xb, yb in zip(X.split(micro_batch), y.split(micro_batch)):
        torch.autograd.backward(((Xb @ w - yb) ** 2).sum() / m)
    return w.grad.detach().clone()


def grads_without_zeroing(x, k):
    def step(_):
        torch.autograd.backward(x.pow(2).sum())
        return x.grad.detach().clone()
    return torch.stack([step(i) for i in range(k)])


def zero_grad(params, set_to_none):
    for p in filter(lambda q: q.grad is not None, params):
        if set_to_none:
            p.grad = None
            continue
        g = p.grad
        if g.grad_fn is not None:
            g.detach_()
        g.requires_grad_(False)
        g.fill_(0.0)
