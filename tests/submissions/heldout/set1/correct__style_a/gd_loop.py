"""gd_loop (style A): gradients via torch.autograd.grad, functional updates."""

import torch


def _mse(pred, target):
    return ((pred - target) ** 2).mean()


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone()
    b = b0.detach().clone()
    losses = torch.empty(steps, dtype=x.dtype, device=x.device)
    for s in range(steps):
        w.requires_grad_(True)
        b.requires_grad_(True)
        loss = _mse(w * x + b, y)
        losses[s] = loss.detach()
        gw, gb = torch.autograd.grad(loss, (w, b))
        w = (w.detach() - lr * gw).detach()
        b = (b.detach() - lr * gb).detach()
    return w, b, losses


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone()
    b = b0.detach().clone()
    m = X.shape[0]
    starts = list(range(0, m, batch_size))
    for _ in range(epochs):
        for s in starts:
            Xb = X[s:s + batch_size]
            yb = y[s:s + batch_size]
            w.requires_grad_(True)
            b.requires_grad_(True)
            gw, gb = torch.autograd.grad(_mse(Xb @ w + b, yb), (w, b))
            w = (w.detach() - lr * gw).detach()
            b = (b.detach() - lr * gb).detach()
    return w, b


def converges(a, lr):
    if lr <= 0:
        return False
    return lr < 1.0 / a


def least_squares(X, y):
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    if S.numel() == 0:
        return torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    tol = S.max() * max(X.shape) * torch.finfo(X.dtype).eps
    inv = torch.where(S > tol, 1.0 / S, torch.zeros_like(S))
    return Vh.T @ (inv * (U.T @ y))


def ridge(X, y, lam):
    d = X.shape[1]
    A = X.T @ X + lam * torch.eye(d, dtype=X.dtype, device=X.device)
    L = torch.linalg.cholesky(A)
    return torch.cholesky_solve((X.T @ y).unsqueeze(1), L).squeeze(1)
