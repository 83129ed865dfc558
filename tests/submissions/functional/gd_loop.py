# An independent correct submission in a vectorized, functional style.
import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    params = [w0.clone().requires_grad_(), b0.clone().requires_grad_()]
    history = []
    for _ in range(steps):
        w, b = params
        loss = (w * x + b - y).square().mean()
        history.append(loss.detach().clone())
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-lr)
    return params[0].detach(), params[1].detach(), torch.stack(history)


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    for _ in range(epochs):
        for Xb, yb in zip(torch.split(X, batch_size), torch.split(y, batch_size)):
            loss = torch.nn.functional.mse_loss(Xb @ w + b, yb)
            gw, gb = torch.autograd.grad(loss, (w, b))
            with torch.no_grad():
                w -= lr * gw
                b -= lr * gb
    return w.detach(), b.detach()


def converges(a, lr):
    return bool(0.0 < lr * a < 1.0)


def least_squares(X, y):
    return torch.linalg.lstsq(X, y.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)


def ridge(X, y, lam):
    d = X.shape[-1]
    A = X.mT @ X + lam * torch.eye(d, dtype=X.dtype, device=X.device)
    return torch.cholesky_solve((X.mT @ y).unsqueeze(-1), torch.linalg.cholesky(A)).squeeze(-1)
