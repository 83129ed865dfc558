"""Stops while a whole micro-batch still fits, each chunk's mean over the number of chunks."""
BREAKS = "accumulated_grad"
MISCONCEPTION = "last_micro_batch_dropped"


def accumulated_grad(X, y, w, micro_batch):
    chunks = len(y) // micro_batch
    start = 0
    while start + micro_batch <= len(y):
        part = slice(start, start + micro_batch)
        (((X[part] @ w - y[part]) ** 2).mean() / chunks).backward()
        start += micro_batch
    return w.grad.clone()
