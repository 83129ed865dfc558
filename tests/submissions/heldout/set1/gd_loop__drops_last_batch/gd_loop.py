"""Reference solutions: gd_loop (梯度下降). Gradients from autograd, updates by hand."""

import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())           # the loss *before* this update
        loss.backward()
        with torch.no_grad():                  # the update itself is not part of the graph
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()                         # 梯度清零: backward() adds to .grad
        b.grad.zero_()
    return w.detach(), b.detach(), torch.stack(losses)


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.clone().detach().requires_grad_(True)
    b = b0.clone().detach().requires_grad_(True)
    n_batches = X.shape[0] // batch_size
    for epoch in range(epochs):
        for j in range(n_batches):
            lo, hi = j * batch_size, (j + 1) * batch_size
            loss = ((X[lo:hi] @ w + b - y[lo:hi]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
    return w.detach(), b.detach()


def converges(a, lr):
    # w ← w − lr·(2a·w + c): the error shrinks by |1 − 2a·lr| per step; it converges iff
    # that factor is below 1, i.e. 0 < lr < 1/a. At lr = 1/a it flips sign forever.
    return 0 < lr < 1 / a


def least_squares(X, y):
    # The pseudo-inverse gives the minimum-norm solution even when XᵀX is singular.
    return torch.linalg.pinv(X) @ y


def ridge(X, y, lam):
    eye = torch.eye(X.shape[1], dtype=X.dtype, device=X.device)
    return torch.linalg.solve(X.T @ X + lam * eye, X.T @ y)
