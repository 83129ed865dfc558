"""The loss summed instead of averaged: a.grad is n times too large."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "sum_instead_of_mean"


def stop_gradient_grads(a, b):
    loss = ((a - b.detach()) ** 2).sum()
    loss.backward()
    return a.grad.detach().clone(), b.grad
