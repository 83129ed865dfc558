"""Adds the squared differences up element by element and never divides by n."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "sum_instead_of_mean"


def stop_gradient_grads(a, b):
    target = b.detach()
    total = 0
    for i in range(a.numel()):
        total = total + (a.reshape(-1)[i] - target.reshape(-1)[i]) ** 2
    total.backward()
    return a.grad.clone(), b.grad
