"""梯度下降 — numpy-minded style (closed forms via torch.linalg)."""
import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    losses = torch.empty(steps, dtype=x.dtype, device=x.device)
    n = x.shape[0]
    for s in range(steps):
        r = w * x + b - y
        loss = torch.einsum("i,i->", r, r) / n
        losses[s] = loss.detach()
        gw, gb = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w.sub_(lr * gw)
            b.sub_(lr * gb)
    return w.detach(), b.detach(), losses


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone()
    b = b0.detach().clone()
    m = X.shape[0]
    for _ in range(epochs):
        for i in range(0, m, batch_size):
            Xb, yb = X[i:i + batch_size], y[i:i + batch_size]
            nb = Xb.shape[0]                     # the last batch may be short
            r = torch.einsum("ij,j->i", Xb, w) + b - yb
            gw = torch.einsum("ij,i->j", Xb, r) * (2.0 / nb)
            gb = torch.einsum("i->", r) * (2.0 / nb)
            w = w - lr * gw
            b = b - lr * gb
    return w, b


def converges(a, lr):
    # w ← (1 − 2·a·lr) w − lr·c : contraction iff |1 − 2·a·lr| < 1
    return bool(0.0 < lr and lr * a < 1.0)


def least_squares(X, y):
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    if S.numel() == 0:
        return torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    tol = S.max() * max(X.shape) * torch.finfo(X.dtype).eps
    inv = torch.where(S > tol, 1.0 / torch.where(S > tol, S, torch.ones_like(S)), torch.zeros_like(S))
    return torch.einsum("kj,k,ik,i->j", Vh, inv, U, y)


def ridge(X, y, lam):
    d = X.shape[1]
    A = torch.einsum("ij,ik->jk", X, X) + lam * torch.eye(d, dtype=X.dtype, device=X.device)
    L = torch.linalg.cholesky(A)
    rhs = torch.einsum("ij,i->j", X, y).unsqueeze(-1)
    return torch.cholesky_solve(rhs, L).squeeze(-1)
