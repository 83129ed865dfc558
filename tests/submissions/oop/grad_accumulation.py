"""梯度累加与清零 — object-oriented style with generators."""
import torch


def micro_batches(X, y, size):
    """Yield consecutive (X_i, y_i) slices; the last one may be shorter."""
    for start in range(0, X.shape[0], size):
        yield X[start:start + size], y[start:start + size]


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    for Xb, yb in micro_batches(X, y, micro_batch):
        (((Xb @ w - yb) ** 2).sum() / m).backward()
    return w.grad.detach().clone()


def _snapshots(x, k):
    for _ in range(k):
        (x ** 2).sum().backward()
        yield x.grad.detach().clone()


def grads_without_zeroing(x, k):
    return torch.stack(list(_snapshots(x, k)))


class _Zeroer:
    def __init__(self, set_to_none):
        self.set_to_none = set_to_none

    def __call__(self, p):
        if p.grad is None:
            return
        if self.set_to_none:
            p.grad = None
            return
        if p.grad.grad_fn is not None:
            p.grad.detach_()
        else:
            p.grad.requires_grad_(False)
        p.grad.zero_()


def zero_grad(params, set_to_none=True):
    zero = _Zeroer(set_to_none)
    for p in params:
        zero(p)
