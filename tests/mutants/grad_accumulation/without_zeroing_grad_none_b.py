"""Sets x.grad = None before each backward "to start clean": every snapshot is 2x."""
BREAKS = "grads_without_zeroing"
MISCONCEPTION = "zeroed_each_step"


def grads_without_zeroing(x, k):
    out = torch.empty((k, *x.shape), dtype=x.dtype, device=x.device)
    for i in range(k):
        x.grad = None
        torch.sum(x * x).backward()
        out[i] = x.grad
    return out
