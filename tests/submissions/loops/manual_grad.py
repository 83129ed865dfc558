# An independent correct submission, written with explicit Python loops.
import torch


def linear_mse_grad(x, y, w, b):
    n = x.shape[0]
    gw = torch.zeros((), dtype=x.dtype, device=x.device)
    gb = torch.zeros((), dtype=x.dtype, device=x.device)
    for i in range(n):
        err = w * x[i] + b - y[i]
        gw = gw + 2 * err * x[i] / n
        gb = gb + 2 * err / n
    return gw, gb


def sigmoid_neuron_grad(x, w, t):
    z = torch.zeros((), dtype=x.dtype, device=x.device)
    for i in range(x.shape[0]):
        z = z + x[i] * w[i]
    o = 1 / (1 + torch.exp(-z))
    grad = torch.empty_like(w)
    for i in range(w.shape[0]):
        grad[i] = (o - t) * o * (1 - o) * x[i]
    return grad


def matrix_mse_grad(X, y, w):
    m, d = X.shape
    grad = torch.zeros(d, dtype=X.dtype, device=X.device)
    for i in range(m):
        r = (X[i] * w).sum() - y[i]
        grad += r * X[i]
    return grad / m


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    gW1, gb1 = torch.zeros_like(W1), torch.zeros_like(b1)
    gW2, gb2 = torch.zeros_like(W2), torch.zeros_like(b2)
    for i in range(n):
        a = W1 @ X[i] + b1
        h = torch.tanh(a)
        err = 2 * ((h * W2).sum() + b2 - y[i]) / n
        gW2 += err * h
        gb2 += err
        delta = err * W2 * (1 - h * h)
        gb1 += delta
        gW1 += torch.outer(delta, X[i])
    return gW1, gb1, gW2, gb2
