"""Gradient descent with the gradients written out by hand (no autograd at all)."""
BREAKS = "gradient_descent"
MISCONCEPTION = "closed_form_gradients"

import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    w, b = w0.clone(), b0.clone()
    losses = []
    for _ in range(steps):
        r = w * x + b - y
        losses.append((r ** 2).mean())
        w, b = w - lr * (2 * r * x).mean(), b - lr * (2 * r).mean()
    return w, b, torch.stack(losses)
