"""Hand-derived gradients, written sample by sample like the seed notes."""
import torch


def linear_mse_grad(x, y, w, b):
    n = x.shape[0]
    dw = torch.zeros((), dtype=x.dtype, device=x.device)
    db = torch.zeros((), dtype=x.dtype, device=x.device)
    for i in range(n):
        err = w * x[i] + b - y[i]
        dw = dw + 2 * err * x[i]
        db = db + 2 * err
    return dw / n, db / n


def _sigmoid(z):
    return 1.0 / (1.0 + torch.exp(-z))


def sigmoid_neuron_grad(x, w, t):
    z = (x * w).sum()
    O = _sigmoid(z)
    delta = (O - t) * O * (1 - O)
    grad = torch.empty_like(w)
    for i in range(w.shape[0]):
        grad[i] = delta * x[i]
    return grad


def matrix_mse_grad(X, y, w):
    m, d = X.shape
    grad = torch.zeros_like(w)
    for i in range(m):
        err = torch.dot(X[i], w) - y[i]
        grad = grad + err * X[i]
    return grad / m


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    dW1 = torch.zeros_like(W1)
    db1 = torch.zeros_like(b1)
    dW2 = torch.zeros_like(W2)
    db2 = torch.zeros_like(b2)
    for i in range(n):
        a = W1 @ X[i] + b1            # (k,)
        h = torch.tanh(a)
        yhat = torch.dot(h, W2) + b2
        dy = 2 * (yhat - y[i]) / n
        dW2 = dW2 + dy * h
        db2 = db2 + dy
        da = dy * W2 * (1 - h ** 2)
        dW1 = dW1 + torch.outer(da, X[i])
        db1 = db1 + da
    return dW1, db1, dW2, db2
