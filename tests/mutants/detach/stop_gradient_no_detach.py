"""Forgets the detach: b gets a gradient too (and it is returned as if it did not)."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "detach_no_effect"


def stop_gradient_grads(a, b):
    loss = ((a - b) ** 2).mean()
    loss.backward()
    return a.grad.detach().clone(), None
