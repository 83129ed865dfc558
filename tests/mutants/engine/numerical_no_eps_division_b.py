"""numerical_grad halves f(x + eps) − f(x − eps) but never divides by eps."""
BREAKS = "numerical_grad"
MISCONCEPTION = "difference_scaled"


def numerical_grad(f, x, eps):
    out = []
    flat = x.reshape(-1)
    for i in range(flat.numel()):
        up, down = flat.clone(), flat.clone()
        up[i] += eps
        down[i] -= eps
        out.append((f(up.reshape(x.shape)) - f(down.reshape(x.shape))) / 2)
    return torch.stack(out).reshape(x.shape) if out else torch.zeros_like(x)
