"""The batch loss written as sum / batch_size: wrong for the short last batch when
batch_size does not divide m."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "short_batch_full_divisor"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    for _ in range(epochs):
        for i in range(0, X.shape[0], batch_size):
            Xb, yb = X[i:i + batch_size], y[i:i + batch_size]
            loss = ((Xb @ w + b - yb) ** 2).sum() / batch_size
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.detach(), b.detach()
