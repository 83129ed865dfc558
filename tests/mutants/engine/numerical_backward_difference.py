"""numerical_grad with a backward difference (f(x) - f(x - eps)) / eps, element by element."""
BREAKS = "numerical_grad"
MISCONCEPTION = "one_sided_difference"


def numerical_grad(f, x, eps):
    values = x.detach().reshape(-1).tolist()
    here = f(x.clone())
    out = []
    for i in range(len(values)):
        moved = list(values)
        moved[i] -= eps
        there = f(torch.tensor(moved, dtype=x.dtype, device=x.device).reshape(x.shape))
        out.append(float((here - there) / eps))
    return torch.tensor(out, dtype=x.dtype, device=x.device).reshape(x.shape)
