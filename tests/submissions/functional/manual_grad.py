# An independent correct submission in a vectorized, functional style (einsum, no loops).
import torch


def linear_mse_grad(x, y, w, b):
    r = torch.addcmul(b - y, w.expand_as(x), x)
    return 2 * torch.dot(r, x) / x.numel(), 2 * r.mean()


def sigmoid_neuron_grad(x, w, t):
    o = torch.sigmoid(torch.dot(x, w))
    return x * ((o - t) * o * (1 - o))


def matrix_mse_grad(X, y, w):
    return torch.einsum("md,m->d", X, torch.mv(X, w) - y) / len(y)


def two_layer_grads(X, y, W1, b1, W2, b2):
    h = torch.tanh(torch.einsum("nd,kd->nk", X, W1) + b1)
    g = 2.0 / len(y) * (torch.mv(h, W2) + b2 - y)
    delta = torch.einsum("n,k->nk", g, W2) * (1 - h.pow(2))
    return torch.einsum("nk,nd->kd", delta, X), delta.sum(dim=0), torch.mv(h.t(), g), g.sum()
