"""Each micro-batch mean divided by the number of chunks: wrong when the last chunk is smaller."""
BREAKS = "accumulated_grad"
MISCONCEPTION = "chunk_mean_over_chunks"


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    chunks = (m + micro_batch - 1) // micro_batch
    for i in range(0, m, micro_batch):
        loss = ((X[i:i + micro_batch] @ w - y[i:i + micro_batch]) ** 2).mean() / chunks
        loss.backward()
    return w.grad.detach().clone()
