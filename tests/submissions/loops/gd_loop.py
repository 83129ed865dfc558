# An independent correct submission, written with explicit Python loops.
import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.clone().detach()
    b = b0.clone().detach()
    w.requires_grad = True
    b.requires_grad = True
    losses = torch.zeros(steps, dtype=x.dtype, device=x.device)
    for step in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        losses[step] = loss.item()
        gw, gb = torch.autograd.grad(loss, [w, b])
        with torch.no_grad():
            w.sub_(lr * gw)
            b.sub_(lr * gb)
    return w.detach(), b.detach(), losses


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.clone().requires_grad_()
    b = b0.clone().requires_grad_()
    m = len(X)
    for epoch in range(epochs):
        start = 0
        while start < m:
            end = min(start + batch_size, m)
            pred = X[start:end] @ w + b
            loss = ((pred - y[start:end]) ** 2).sum() / (end - start)
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad = None
                b.grad = None
            start = end
    return w.detach(), b.detach()


def converges(a, lr):
    if lr <= 0:
        return False
    factor = abs(1 - 2 * a * lr)
    return factor < 1


def least_squares(X, y):
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    cutoff = S.max() * max(X.shape) * torch.finfo(X.dtype).eps if S.numel() else 0
    inv = torch.where(S > cutoff, 1 / S, torch.zeros_like(S))
    return Vh.T @ (inv * (U.T @ y))


def ridge(X, y, lam):
    d = X.shape[1]
    A = X.T @ X
    for i in range(d):
        A[i, i] += lam
    return torch.linalg.inv(A) @ (X.T @ y)
