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
    # L = ||Xw - y||² / (2m)  =>  dL/dw = Xᵀ (Xw - y) / m
    return X.T @ (X @ w - y) / X.shape[0]


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    z = X @ W1.T + b1
    h = torch.tanh(z)
    y_hat = h @ W2 + b2
    d_yhat = 2.0 * (y_hat - y) / n
    d_W2 = h.T @ d_yhat
    d_b2 = d_yhat.sum()
    d_z = torch.outer(d_yhat, W2) * (1 - z ** 2)     # tanh'(z)
    d_W1 = d_z.T @ X
    d_b1 = d_z.sum(0)
    return d_W1, d_b1, d_W2, d_b2
