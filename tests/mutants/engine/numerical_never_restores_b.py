"""numerical_grad on one copy indexed element by element, assigning x±eps and never
assigning the old value back."""
BREAKS = "numerical_grad"
MISCONCEPTION = "perturbation_not_restored"
import itertools


def numerical_grad(f, x, eps):
    point = x.clone()
    out = torch.empty_like(x)
    for index in itertools.product(*[range(n) for n in x.shape]):
        start = point[index].item()
        point[index] = start + eps
        f_plus = f(point).item()
        point[index] = start - eps
        f_minus = f(point).item()
        out[index] = (f_plus - f_minus) / (2 * eps)
    return out
