"""Reference solutions: manual_grad (手动求梯度). Gradients by the chain rule, no autograd."""

import torch


def linear_mse_grad(x, y, w, b):
    # L = mean((w x + b - y)^2)  =>  dL/dw = mean(2 (ŷ - y) x),  dL/db = mean(2 (ŷ - y))
    residual = w * x + b - y
    return (2 * residual * x).mean(), (2 * residual).mean()


def sigmoid_neuron_grad(x, w, t):
    # E = ½ (O - t)^2, O = σ(z), z = x·w  =>  dE/dw = (O - t) · O (1 - O) · x
    o = torch.sigmoid((x * w).sum())
    return (o - t) * o * (1 - o) * x


def matrix_mse_grad(X, y, w):
    m = X.shape[0]
    residual = y - X @ w
    return X.T @ residual / m


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    h = torch.tanh(X @ W1.T + b1)               # (n, k)
    y_hat = h @ W2 + b2                          # (n,)
    d_yhat = 2 * (y_hat - y) / n                 # dL/dŷ
    d_W2 = h.T @ d_yhat                          # (k,)
    d_b2 = d_yhat.sum()
    d_pre = d_yhat[:, None] * W2[None, :] * (1 - h ** 2)   # through tanh: tanh' = 1 - tanh²
    d_W1 = d_pre.T @ X                           # (k, d)
    d_b1 = d_pre.sum(0)
    return d_W1, d_b1, d_W2, d_b2
