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
    pre = X @ W1.T + b1
    act = torch.tanh(pre)
    out = act @ W2 + b2
    g_out = 2 * (out - y)                       # dL/d out
    g_W2 = act.T @ g_out
    g_b2 = g_out.sum()
    g_pre = torch.outer(g_out, W2) * (1 - act * act)
    g_W1 = g_pre.T @ X
    g_b1 = g_pre.sum(dim=0)
    return g_W1, g_b1, g_W2, g_b2
