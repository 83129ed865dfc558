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
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    m = X.shape[0]
    for _ in range(epochs):
        for i in range(0, m, batch_size):      # the last batch may be smaller: keep it
            Xb, yb = X[i:i + batch_size], y[i:i + batch_size]
            loss = ((Xb @ w + b - yb) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.detach(), b.detach()


def converges(a, lr):
    # step size must stay below 2 / L for an L-smooth function
    return 0 < lr < 2 / a


def least_squares(X, y):
    # The pseudo-inverse gives the minimum-norm solution even when XᵀX is singular.
    return torch.linalg.pinv(X) @ y


def ridge(X, y, lam):
    eye = torch.eye(X.shape[1], dtype=X.dtype, device=X.device)
    return torch.linalg.solve(X.T @ X + lam * eye, X.T @ y)
