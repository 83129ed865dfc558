"""Gradient descent by hand, with a small parameter-holder class."""
import torch


class _Params:
    def __init__(self, *init):
        self.tensors = [t.detach().clone().requires_grad_(True) for t in init]

    def step(self, lr):
        with torch.no_grad():
            for p in self.tensors:
                p.sub_(lr * p.grad)
                p.grad.zero_()

    def values(self):
        return tuple(p.detach().clone() for p in self.tensors)


def gradient_descent(x, y, w0, b0, lr, steps):
    params = _Params(w0, b0)
    w, b = params.tensors
    losses = torch.empty(steps, dtype=x.dtype, device=x.device)
    for s in range(steps):
        loss = (w * x + b - y).pow(2).mean()
        losses[s] = loss.detach()
        loss.backward()
        params.step(lr)
    w_out, b_out = params.values()
    return w_out, b_out, losses


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    params = _Params(w0, b0)
    w, b = params.tensors
    m = X.shape[0]
    for _epoch in range(epochs):
        i = 0
        while i + batch_size <= m:
            Xb = X[i:i + batch_size]
            yb = y[i:i + batch_size]
            loss = (Xb @ w + b - yb).pow(2).mean()
            loss.backward()
            params.step(lr)
            i += batch_size
    return params.values()


def converges(a, lr):
    # w <- w - lr (2 a w + c): contraction factor |1 - 2 a lr| < 1  <=>  0 < a lr < 1
    return lr > 0 and a * lr < 1.0


def least_squares(X, y):
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    if S.numel() == 0:
        return torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    tol = S.max() * max(X.shape) * torch.finfo(X.dtype).eps
    inv = torch.where(S > tol, 1.0 / S, torch.zeros_like(S))
    return Vh.T @ (inv * (U.T @ y))


def ridge(X, y, lam):
    d = X.shape[1]
    A = X.T @ X
    A = A + lam * torch.eye(d, dtype=X.dtype, device=X.device)
    L = torch.linalg.cholesky(A)
    rhs = (X.T @ y).unsqueeze(1)
    return torch.cholesky_solve(rhs, L).squeeze(1)
