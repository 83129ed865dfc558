"""Gradient descent on θ = (w, b) with the normal-equation gradient 2Aᵀ(Aθ − y)/n: no autograd."""
BREAKS = "gradient_descent"
MISCONCEPTION = "closed_form_gradients"

import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    A = torch.stack([x, torch.ones_like(x)], dim=1)
    theta = torch.stack([w0, b0])
    n = x.shape[0]
    losses = torch.zeros(steps, dtype=x.dtype, device=x.device)
    for i in range(steps):
        r = A @ theta - y
        losses[i] = r @ r / n
        theta = theta - lr * 2 * (A.T @ r) / n
    return theta[0].clone(), theta[1].clone(), losses
