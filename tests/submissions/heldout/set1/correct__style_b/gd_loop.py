"""gd_loop (style B): .grad reset to None each step, updates via .data-free no_grad."""

import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    params = [w0.detach().clone().requires_grad_(), b0.detach().clone().requires_grad_()]
    w, b = params
    recorded = []
    step = 0
    while step < steps:
        loss = (w * x + b - y).pow(2).mean()
        recorded.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(lr * p.grad)
                p.grad = None
        step += 1
    return w.detach(), b.detach(), torch.tensor(recorded, dtype=x.dtype, device=x.device)


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone().requires_grad_()
    b = b0.detach().clone().requires_grad_()
    m = len(X)
    for _ in range(epochs):
        start = 0
        while start < m:
            end = min(start + batch_size, m)
            loss = (torch.mv(X[start:end], w) + b - y[start:end]).pow(2).mean()
            loss.backward()
            with torch.no_grad():
                w.sub_(lr * w.grad)
                b.sub_(lr * b.grad)
            w.grad = None
            b.grad = None
            start = end
    return w.detach(), b.detach()


def converges(a, lr):
    return lr > 0 and lr < 1 / a


def least_squares(X, y):
    return torch.linalg.pinv(X) @ y


def ridge(X, y, lam):
    d = X.shape[1]
    A = X.t() @ X
    A = A + lam * torch.eye(d, dtype=A.dtype, device=A.device)
    return torch.linalg.solve(A, X.t() @ y)
