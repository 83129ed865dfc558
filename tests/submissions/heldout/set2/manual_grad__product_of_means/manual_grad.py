"""Hand-derived gradients (vectorised)."""
import torch


def linear_mse_grad(x, y, w, b):
    r = w * x + b - y
    n = x.shape[0]
    dw = 2.0 * r.mean() * x.mean()
    db = 2.0 * r.sum() / n
    return dw, db


def sigmoid_neuron_grad(x, w, t):
    z = torch.dot(x, w)
    o = torch.sigmoid(z)
    return (o - t) * o * (1.0 - o) * x


def matrix_mse_grad(X, y, w):
    m = X.shape[0]
    r = X @ w - y
    return X.T @ r / m


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    h = torch.tanh(X @ W1.T + b1)
    yhat = h @ W2 + b2
    g = 2.0 * (yhat - y) / n          # dL/dyhat, (n,)
    dW2 = h.T @ g
    db2 = g.sum()
    dh = torch.outer(g, W2)           # (n, k)
    da = dh * (1.0 - h * h)
    dW1 = da.T @ X
    db1 = da.sum(dim=0)
    return dW1, db1, dW2, db2
