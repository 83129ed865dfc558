"""Runs gradient descent in float32 (a half-precision habit) and casts the results back."""
BREAKS = "gradient_descent"
MISCONCEPTION = "float32_inside"

import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    dtype = x.dtype
    x, y = x.float(), y.float()
    w = w0.detach().float().requires_grad_(True)
    b = b0.detach().float().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad = None
            b.grad = None
    return w.detach().to(dtype), b.detach().to(dtype), torch.stack(losses).to(dtype)
