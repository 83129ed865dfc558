"""numerical_grad asks torch.autograd.grad for the exact gradient: right values, broken rule."""
BREAKS = "numerical_grad"
MISCONCEPTION = "autograd_in_engine"


def numerical_grad(f, x, eps):
    xr = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(xr), xr)
    return grad.detach()
