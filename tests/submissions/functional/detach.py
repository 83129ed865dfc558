"""An independent correct submission: detach, with inference_mode and autograd.grad."""

import torch


def stop_gradient_grads(a, b):
    torch.autograd.backward((a - b.detach()).pow(2).mean())
    return a.grad.detach().clone(), b.grad


def straight_through_round(x):
    return torch.round(x).detach() + x - x.detach()


def predict(w, b, x):
    with torch.inference_mode():
        return torch.addcmul(b, w, x)


def frozen_step(W1, W2, X, y, lr):
    h = X @ W1.T.detach()
    (g2,) = torch.autograd.grad(((h @ W2 - y) ** 2).mean(), W2)
    return W1.detach().clone(), torch.sub(W2.detach(), g2, alpha=lr)
