"""Zeroes x.grad inside the loop: every snapshot is 2x."""
BREAKS = "grads_without_zeroing"
MISCONCEPTION = "zeroed_each_step"


def grads_without_zeroing(x, k):
    snapshots = []
    for _ in range(k):
        (x ** 2).sum().backward()
        snapshots.append(x.grad.detach().clone())
        x.grad.zero_()
    return torch.stack(snapshots)
