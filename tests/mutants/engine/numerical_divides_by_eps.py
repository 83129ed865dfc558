"""numerical_grad divides the central difference by eps instead of 2·eps (twice the slope)."""
BREAKS = "numerical_grad"
MISCONCEPTION = "difference_scaled"


def numerical_grad(f, x, eps):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        step = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
        step[i] = eps
        step = step.view(x.shape)
        grad.view(-1)[i] = (f(x + step) - f(x - step)) / eps
    return grad
