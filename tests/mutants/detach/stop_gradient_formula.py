"""Returns 2(a − b)/n from the formula and None, without running backward: a.grad never filled."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "formula_instead_of_backward"


def stop_gradient_grads(a, b):
    a, b = a.detach(), b.detach()
    return 2 * (a - b) / a.numel(), None
