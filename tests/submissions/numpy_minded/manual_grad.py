"""手动求梯度 — numpy-minded style: closed forms with einsum, no autograd.

Every reduction is written out as an einsum with an explicit 1/n factor so the
order of accumulation is the one a NumPy user would write by hand.
"""
import torch


def linear_mse_grad(x, y, w, b):
    # L = (1/n) Σ (w x_i + b − y_i)²  →  ∂L/∂w = (2/n) Σ r_i x_i,  ∂L/∂b = (2/n) Σ r_i
    n = x.shape[0]
    r = w * x + b - y
    scale = 2.0 / n
    dw = torch.einsum("i,i->", r, x) * scale
    db = torch.einsum("i->", r) * scale
    return dw, db


def sigmoid_neuron_grad(x, w, t):
    # z = xᵀw ; O = σ(z) ; E = ½(O − t)²  →  ∂E/∂w = (O − t)·O(1 − O)·x
    z = torch.einsum("i,i->", x, w)
    o = 0.5 * (1.0 + torch.tanh(0.5 * z))        # σ(z), stable for any sign of z
    delta = (o - t) * o * (1.0 - o)
    return torch.einsum(",i->i", delta, x)


def matrix_mse_grad(X, y, w):
    # L = ‖Xw − y‖² / (2m)  →  ∇L = Xᵀ(Xw − y) / m
    m = X.shape[0]
    r = torch.einsum("ij,j->i", X, w) - y
    return torch.einsum("ij,i->j", X, r) / m


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    pre = torch.einsum("nd,kd->nk", X, W1) + b1
    h = torch.tanh(pre)
    yhat = torch.einsum("nk,k->n", h, W2) + b2
    g = (yhat - y) * (2.0 / n)                    # ∂L/∂ŷ, shape (n,)
    dW2 = torch.einsum("nk,n->k", h, g)
    db2 = torch.einsum("n->", g)
    dpre = torch.einsum("n,k->nk", g, W2) * (1.0 - h * h)   # tanh′ = 1 − tanh²
    dW1 = torch.einsum("nk,nd->kd", dpre, X)
    db1 = torch.einsum("nk->k", dpre)
    return dW1, db1, dW2, db2
