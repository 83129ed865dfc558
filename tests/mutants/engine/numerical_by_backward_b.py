"""numerical_grad runs backward() on f and returns the copy's .grad: right values, broken rule."""
BREAKS = "numerical_grad"
MISCONCEPTION = "autograd_in_engine"


def numerical_grad(f, x, eps):
    leaf = x.clone().requires_grad_()
    f(leaf).backward()
    return leaf.grad.clone()
