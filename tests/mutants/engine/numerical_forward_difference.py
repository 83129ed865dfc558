"""numerical_grad with a forward difference (f(x + eps) - f(x)) / eps."""
BREAKS = "numerical_grad"
MISCONCEPTION = "one_sided_difference"


def numerical_grad(f, x, eps):
    base = f(x)
    grad = torch.empty_like(x)
    flat = grad.view(-1)
    for i in range(x.numel()):
        step = torch.zeros_like(x).view(-1)
        step[i] = eps
        flat[i] = (f(x + step.view(x.shape)) - base) / eps
    return grad
