"""Only the full micro-batches (range(m // micro_batch)): the last, smaller one is dropped,
and when micro_batch > m there is none at all, so w.grad is None and .clone() raises."""
BREAKS = "accumulated_grad"
MISCONCEPTION = "last_micro_batch_dropped"


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    for k in range(m // micro_batch):
        i = k * micro_batch
        loss = ((X[i:i + micro_batch] @ w - y[i:i + micro_batch]) ** 2).sum() / m
        loss.backward()
    return w.grad.detach().clone()
