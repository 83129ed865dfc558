"""manual_grad: gradients derived by hand (style A: explicit chain rule, einsum)."""

import torch


def linear_mse_grad(x, y, w, b):
    n = x.numel()
    e = w * x + b - y                       # residuals
    dL_dyhat = e * (2.0 / n)                # d mean(e^2) / d yhat_i
    return torch.sum(dL_dyhat * x), torch.sum(dL_dyhat)


def sigmoid_neuron_grad(x, w, t):
    z = torch.einsum("i,i->", x, w)
    o = 1.0 / (1.0 + torch.exp(-z))
    delta = (o - t) * o * (1.0 - o)         # dE/dz
    return delta * x


def matrix_mse_grad(X, y, w):
    m = X.shape[0]
    r = torch.einsum("md,d->m", X, w) - y
    return torch.einsum("md,m->d", X, r) / m


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    a = torch.einsum("nd,kd->nk", X, W1) + b1
    h = torch.tanh(a)
    yhat = torch.einsum("nk,k->n", h, W2) + b2
    g = (yhat - y) * (2.0 / n)              # dL/dyhat
    gW2 = torch.einsum("nk,n->k", h, g)
    gb2 = torch.sum(g)
    ga = g.unsqueeze(1) * W2.unsqueeze(0) * (1.0 - h * h)
    gW1 = torch.einsum("nk,nd->kd", ga, X)
    gb1 = torch.sum(ga, dim=0)
    return gW1, gb1, gW2, gb2
