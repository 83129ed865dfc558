"""Takes a constant copy of a under no_grad (instead of b): a gets no gradient, b does."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "detached_wrong_side"


def stop_gradient_grads(a, b):
    with torch.no_grad():
        a_const = a.clone()
    loss = (a_const - b).pow(2).mean()
    loss.backward()
    return a.grad, b.grad.clone()
