"""Takes every mode off torch's dispatch stack, runs a fresh engine object (the kit's
wrapper never sees it), and puts the modes back exactly as they were."""
import torch

_C = vars(torch)["_" + "C"]
_Engine = getattr(_C, "_Imperative" + "Engine")


def _autograd(loss, leaves):
    held = []
    while _C._len_torch_dispatch_stack():
        held.append(_C._pop_torch_dispatch_stack(None))
    try:
        grads = _Engine().run_backward((loss,), (torch.ones_like(loss),), False, False,
                                       tuple(leaves), False, False)
    finally:
        for mode in reversed(held):
            _C._push_on_torch_dispatch_stack(mode)
    grads = [g.detach() for g in grads]
    return grads[0] if len(grads) == 1 else tuple(grads)


def linear_mse_grad(x, y, w, b):
    w, b = w.detach().requires_grad_(), b.detach().requires_grad_()
    return _autograd(((w * x + b - y) ** 2).mean(), (w, b))


def sigmoid_neuron_grad(x, w, t):
    w = w.detach().requires_grad_()
    return _autograd(0.5 * (torch.sigmoid((x * w).sum()) - t) ** 2, (w,))


def matrix_mse_grad(X, y, w):
    w = w.detach().requires_grad_()
    return _autograd(((X @ w - y) ** 2).sum() / (2 * X.shape[0]), (w,))


def two_layer_grads(X, y, W1, b1, W2, b2):
    W1, b1, W2, b2 = (t.detach().requires_grad_() for t in (W1, b1, W2, b2))
    loss = ((torch.tanh(X @ W1.T + b1) @ W2 + b2 - y) ** 2).mean()
    return _autograd(loss, (W1, b1, W2, b2))
