"""No retain_grad at all; reading y.grad.detach() raises because y.grad is None."""
BREAKS = "intermediate_grad"
MISCONCEPTION = "retain_grad_missing"


def intermediate_grad(x):
    y = x * x
    (y * y).sum().backward()
    return x.grad.detach(), y.grad.detach()
