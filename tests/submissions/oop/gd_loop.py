"""梯度下降 — object-oriented style: a hand-written SGD 'optimizer' class."""
import torch


class HandSGD:
    """Plain gradient descent written by hand (no torch.optim)."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    @torch.no_grad()
    def step(self):
        for p in self.params:
            p -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad = None


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    opt = HandSGD([w, b], lr)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    losses = torch.stack(losses) if losses else x.new_zeros(0)
    return w.detach(), b.detach(), losses


def _batches(m, size):
    start = 0
    while start < m:
        yield slice(start, start + size)
        start += size


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    opt = HandSGD([w, b], lr)
    for _ in range(epochs):
        for sl in _batches(X.shape[0], batch_size):
            loss = ((X[sl] @ w + b - y[sl]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return w.detach(), b.detach()


def converges(a, lr):
    return 0 < lr < 1 / a


def least_squares(X, y):
    return torch.linalg.pinv(X) @ y


def ridge(X, y, lam):
    d = X.shape[1]
    A = X.T @ X + lam * torch.eye(d, dtype=X.dtype, device=X.device)
    return torch.linalg.solve(A, X.T @ y)
