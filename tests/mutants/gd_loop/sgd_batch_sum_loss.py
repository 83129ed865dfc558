"""Each mini-batch's loss is its sum of squared errors, not the mean."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "loss_summed_not_averaged"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    for _ in range(epochs):
        for i in range(0, X.shape[0], batch_size):
            loss = ((X[i:i + batch_size] @ w + b - y[i:i + batch_size]) ** 2).sum()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.detach(), b.detach()
