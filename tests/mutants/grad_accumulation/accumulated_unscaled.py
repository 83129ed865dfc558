"""Accumulates each micro-batch's mean unscaled: the gradient grows with the number of chunks."""
BREAKS = "accumulated_grad"
MISCONCEPTION = "accumulation_unscaled"


def accumulated_grad(X, y, w, micro_batch):
    for i in range(0, X.shape[0], micro_batch):
        loss = ((X[i:i + micro_batch] @ w - y[i:i + micro_batch]) ** 2).mean()
        loss.backward()
    return w.grad.detach().clone()
