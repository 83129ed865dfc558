"""Leaves the watch's mode where it is, uses plain backward(), and then clears what the
watch noted: its object hangs off the mode on torch's stack."""
import torch

_C = vars(torch)["_" + "C"]


def _forget():
    for i in range(_C._len_torch_dispatch_stack()):
        watch = vars(_C._get_dispatch_stack_at(i)).get("_watch")
        if watch is not None:
            watch.used = False
            watch.spy_calls = 0
            watch.tasks.clear()


def _grad(loss, *leaves):
    loss.backward()
    _forget()
    grads = [t.grad.detach() for t in leaves]
    return grads[0] if len(grads) == 1 else tuple(grads)


def linear_mse_grad(x, y, w, b):
    w, b = w.detach().requires_grad_(), b.detach().requires_grad_()
    return _grad(((w * x + b - y) ** 2).mean(), w, b)


def sigmoid_neuron_grad(x, w, t):
    w = w.detach().requires_grad_()
    return _grad(0.5 * (torch.sigmoid((x * w).sum()) - t) ** 2, w)


def matrix_mse_grad(X, y, w):
    w = w.detach().requires_grad_()
    return _grad(((X @ w - y) ** 2).sum() / (2 * X.shape[0]), w)


def two_layer_grads(X, y, W1, b1, W2, b2):
    W1, b1, W2, b2 = (t.detach().requires_grad_() for t in (W1, b1, W2, b2))
    loss = ((torch.tanh(X @ W1.T + b1) @ W2 + b2 - y) ** 2).mean()
    return _grad(loss, W1, b1, W2, b2)
