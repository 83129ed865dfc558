"""The batch's mean loss divided again by the batch size (the d2l sgd() habit, applied twice)."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "mean_divided_twice"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    for _ in range(epochs):
        for i in range(0, X.shape[0], batch_size):
            Xb, yb = X[i:i + batch_size], y[i:i + batch_size]
            loss = ((Xb @ w + b - yb) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad / len(yb)
                b -= lr * b.grad / len(yb)
            w.grad.zero_()
            b.grad.zero_()
    return w.detach(), b.detach()
