"""numerical_grad moves every element of x by eps together: one directional derivative,
written into every element."""
BREAKS = "numerical_grad"
MISCONCEPTION = "all_elements_perturbed"


def numerical_grad(f, x, eps):
    slope = (f(x + eps) - f(x - eps)) / (2 * eps)
    return torch.ones_like(x) * slope
