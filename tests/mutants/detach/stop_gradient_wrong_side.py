"""Detaches a instead of b."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "detached_wrong_side"


def stop_gradient_grads(a, b):
    loss = ((a.detach() - b) ** 2).mean()
    loss.backward()
    return a.grad, b.grad.detach().clone()
