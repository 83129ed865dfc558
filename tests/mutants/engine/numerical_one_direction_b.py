"""numerical_grad steps along the all-ones direction, x ± eps·1, and gives that one
slope to every element."""
BREAKS = "numerical_grad"
MISCONCEPTION = "all_elements_perturbed"


def numerical_grad(f, x, eps):
    direction = torch.ones_like(x)
    slope = (f(x + eps * direction) - f(x - eps * direction)) / (2 * eps)
    return torch.full_like(x, slope.item())
