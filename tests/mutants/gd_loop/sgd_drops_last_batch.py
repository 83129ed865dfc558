"""The last, smaller mini-batch is dropped (range(m // batch_size))."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "partial_batch_dropped"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    for _ in range(epochs):
        for k in range(X.shape[0] // batch_size):
            i = k * batch_size
            loss = ((X[i:i + batch_size] @ w + b - y[i:i + batch_size]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.detach(), b.detach()
