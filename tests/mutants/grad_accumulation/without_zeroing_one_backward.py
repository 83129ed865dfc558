"""One backward pass, then multiples of its gradient: the snapshots are right, the passes are not."""
BREAKS = "grads_without_zeroing"
MISCONCEPTION = "backward_count_wrong"

import torch


def grads_without_zeroing(x, k):
    (x ** 2).sum().backward()
    g = x.grad.detach().clone()
    return torch.stack([g * (i + 1) for i in range(k)])
