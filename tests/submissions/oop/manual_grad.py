"""手动求梯度 — object-oriented style: tiny layer objects with forward/backward.

Each layer caches what it needs in forward and returns input gradients in
backward; chaining them is the chain rule (链式法则) by hand.  No autograd.
"""
from dataclasses import dataclass

import torch


class MSE:
    """L = mean((ŷ − y)²)."""

    def forward(self, yhat, y):
        self.r = yhat - y
        return (self.r ** 2).mean()

    def backward(self):
        return 2.0 * self.r / self.r.numel()


class HalfSquare:
    """E = ½(O − t)²."""

    def forward(self, o, t):
        self.r = o - t
        return 0.5 * self.r ** 2

    def backward(self):
        return self.r


class Sigmoid:
    def forward(self, z):
        self.o = torch.sigmoid(z)
        return self.o

    def backward(self, g):
        return g * self.o * (1 - self.o)


class Tanh:
    def forward(self, z):
        self.h = torch.tanh(z)
        return self.h

    def backward(self, g):
        return g * (1 - self.h ** 2)


@dataclass
class Affine1D:
    """ŷ = w·x + b with scalar w, b."""
    w: torch.Tensor
    b: torch.Tensor

    def forward(self, x):
        self.x = x
        return self.w * x + self.b

    def backward(self, g):
        return (g * self.x).sum(), g.sum()


def linear_mse_grad(x, y, w, b):
    layer, loss = Affine1D(w, b), MSE()
    loss.forward(layer.forward(x), y)
    dw, db = layer.backward(loss.backward())
    return dw, db


def sigmoid_neuron_grad(x, w, t):
    act, loss = Sigmoid(), HalfSquare()
    loss.forward(act.forward(x @ w), t)
    return act.backward(loss.backward()) * x


def matrix_mse_grad(X, y, w):
    r = X @ w - y
    return X.T @ r / X.shape[0]


def two_layer_grads(X, y, W1, b1, W2, b2):
    tanh, loss = Tanh(), MSE()
    h = tanh.forward(X @ W1.T + b1)
    loss.forward(h @ W2 + b2, y)
    g = loss.backward()                   # (n,)
    dW2, db2 = h.T @ g, g.sum()
    dpre = tanh.backward(torch.outer(g, W2))
    return dpre.T @ X, dpre.sum(0), dW2, db2
