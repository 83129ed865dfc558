"""Appends x.grad without a copy: .grad is updated in place, so every snapshot shows the last value."""
BREAKS = "grads_without_zeroing"
MISCONCEPTION = "grad_aliased"


def grads_without_zeroing(x, k):
    snapshots = []
    for _ in range(k):
        (x ** 2).sum().backward()
        snapshots.append(x.grad)
    return torch.stack(snapshots).detach()
