"""Calls b.detach() as if it changed b in place, then uses b itself: b gets a gradient."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "detach_no_effect"


def stop_gradient_grads(a, b):
    b.detach()                          # "b is a constant from here on"
    loss = torch.mean((a - b) ** 2)
    loss.backward()
    return a.grad.clone(), b.grad
