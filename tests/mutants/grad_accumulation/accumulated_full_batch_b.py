"""Skips the micro-batches: one backward of the full-batch F.mse_loss gives the same number."""
BREAKS = "accumulated_grad"
MISCONCEPTION = "not_one_backward_per_chunk"

import torch.nn.functional as F


def accumulated_grad(X, y, w, micro_batch):
    F.mse_loss(X @ w, y).backward()
    return w.grad.detach().clone()
