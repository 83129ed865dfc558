"""Correct answers in other operation orders (einsum, flipped sums, the dual ridge, SVD by hand): full marks."""

import torch


# --- other operation orders, all correct (the tolerance must accept them) ---

def linear_mse_grad(x, y, w, b):
    n = x.shape[0]
    r = torch.einsum("i->i", x) * w - y + b            # another summation order
    dw = torch.einsum("i,i->", r, x) * (2.0 / n)
    db = r.flip(0).sum() / n * 2
    return dw, db


def sigmoid_neuron_grad(x, w, t):
    z = torch.einsum("i,i->", w, x)
    o = 1 / (1 + torch.exp(-z))                         # sigma by hand
    return x * ((o - t) * (o - o * o))


def matrix_mse_grad(X, y, w):
    m = X.shape[0]
    r = torch.einsum("ij,j->i", X, w) - y
    return torch.einsum("i,ij->j", r / m, X)


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    pre = torch.einsum("nd,kd->nk", X, W1) + b1
    h = torch.tanh(pre)
    err = (torch.einsum("nk,k->n", h, W2) + b2 - y) / n
    g = err * 2
    d_W2 = torch.einsum("n,nk->k", g, h)
    d_pre = torch.outer(g, W2) * (1 - h * h)
    return torch.einsum("nk,nd->kd", d_pre, X), d_pre.flip(0).sum(0), d_W2, g.flip(0).sum()
