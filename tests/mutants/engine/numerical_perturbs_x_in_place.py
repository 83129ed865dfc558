"""numerical_grad moves x itself element by element and never puts it back: the caller's x
ends shifted by -eps in every element."""
BREAKS = "numerical_grad"
MISCONCEPTION = "input_mutated"
ALSO = "perturbation_not_restored"


def numerical_grad(f, x, eps):
    flat = x.data.view(-1)
    grad = torch.zeros_like(flat)
    for i in range(flat.numel()):
        flat[i] += eps
        plus = float(f(x))
        flat[i] -= 2 * eps
        minus = float(f(x))
        grad[i] = (plus - minus) / (2 * eps)
    return grad.view(x.shape)
