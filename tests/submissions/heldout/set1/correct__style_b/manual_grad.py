"""manual_grad (style B): broadcasting and matrix forms, no autograd."""

import torch


def linear_mse_grad(x, y, w, b):
    yhat = x * w + b
    diff = yhat - y
    n = diff.shape[0]
    dw = 2.0 * torch.dot(diff, x) / n
    db = 2.0 * diff.sum() / n
    return dw, db


def sigmoid_neuron_grad(x, w, t):
    out = torch.sigmoid(x @ w)
    dsig = out * (1 - out)
    return x * ((out - t) * dsig)


def matrix_mse_grad(X, y, w):
    m = len(y)
    # L = (r·r) / (2m), r = Xw - y  =>  dL/dw = (rᵀ X)ᵀ / m
    r = torch.mv(X, w) - y
    return torch.mv(X.t(), r) / m


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = len(y)
    H = torch.tanh(torch.addmm(b1.expand(X.shape[0], -1), X, W1.t()))
    pred = torch.mv(H, W2) + b2
    delta = (pred - y) * 2 / n                    # (n,)
    grad_W2 = torch.mv(H.t(), delta)
    grad_b2 = delta.sum()
    back = delta.reshape(-1, 1) * W2.reshape(1, -1)   # dL/dH
    back = back * (1 - H.pow(2))                      # through tanh
    grad_W1 = back.t().mm(X)
    grad_b1 = back.sum(0)
    return grad_W1, grad_b1, grad_W2, grad_b2
