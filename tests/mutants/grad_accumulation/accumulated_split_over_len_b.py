"""Each chunk's mean divided by len(chunks) from torch.split: wrong when the last chunk is smaller."""
BREAKS = "accumulated_grad"
MISCONCEPTION = "chunk_mean_over_chunks"


def accumulated_grad(X, y, w, micro_batch):
    X_chunks, y_chunks = X.split(micro_batch), y.split(micro_batch)
    n_chunks = len(X_chunks)
    for Xb, yb in zip(X_chunks, y_chunks):
        chunk_mean = ((Xb @ w - yb) ** 2).sum() / Xb.shape[0]
        (chunk_mean / n_chunks).backward()
    return w.grad.detach().clone()
