"""Iterates over torch.split batches and skips the one shorter than batch_size."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "partial_batch_dropped"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    for _ in range(epochs):
        for Xb, yb in zip(X.split(batch_size), y.split(batch_size)):
            if Xb.shape[0] < batch_size:
                continue
            loss = torch.mean((Xb @ w + b - yb) ** 2)
            w.grad, b.grad = None, None
            loss.backward()
            with torch.no_grad():
                w.sub_(lr * w.grad)
                b.sub_(lr * b.grad)
    return w.detach(), b.detach()
