"""Writes (4x³, 2x²) from the chain rule instead of running backward with retain_grad: x.grad never filled."""
BREAKS = "intermediate_grad"
MISCONCEPTION = "formula_instead_of_backward"


def intermediate_grad(x):
    x = x.detach()
    return 4 * x ** 3, 2 * x ** 2
