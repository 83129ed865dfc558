"""Fills the snapshots from the formula (i + 1)·2x without a single backward pass."""
BREAKS = "grads_without_zeroing"
MISCONCEPTION = "backward_count_wrong"

import torch


def grads_without_zeroing(x, k):
    x = x.detach()
    return torch.stack([2 * (i + 1) * x for i in range(k)])
