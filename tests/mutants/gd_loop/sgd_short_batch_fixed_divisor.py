"""Batches drawn by index lists; every step scales the summed gradient by 1 / batch_size,
even for the short last batch."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "short_batch_full_divisor"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w, b = w0.clone(), b0.clone()
    m = len(y)
    for _ in range(epochs):
        for idx in torch.arange(m).split(batch_size):
            r = X[idx] @ w + b - y[idx]                 # residuals of this batch
            gw = 2 * (X[idx] * r[:, None]).sum(0) / batch_size
            gb = 2 * r.sum() / batch_size
            w, b = w - lr * gw, b - lr * gb
    return w, b
