"""Splits the batch with torch.split and backpropagates each chunk's F.mse_loss as it is: the gradient grows with the number of chunks."""
BREAKS = "accumulated_grad"
MISCONCEPTION = "accumulation_unscaled"

import torch.nn.functional as F


def accumulated_grad(X, y, w, micro_batch):
    for Xb, yb in zip(torch.split(X, micro_batch), torch.split(y, micro_batch)):
        F.mse_loss(Xb @ w, yb).backward()
    return w.grad.clone()
