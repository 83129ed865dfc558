"""An independent correct submission: detach, with a custom autograd.Function."""

import torch


def stop_gradient_grads(a, b):
    b_const = b.detach()
    loss = ((a - b_const) ** 2).sum() / a.numel()
    loss.backward()
    return a.grad.clone().detach(), b.grad


class _RoundStraightThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output       # pass the gradient straight through


def straight_through_round(x):
    return _RoundStraightThrough.apply(x)


def predict(w, b, x):
    return w.detach() * x + b.detach()


def frozen_step(W1, W2, X, y, lr):
    with torch.no_grad():
        h = X @ W1.T
    loss = ((h @ W2 - y) ** 2).mean()
    loss.backward()
    return W1.clone().detach(), W2.detach() - lr * W2.grad
