"""Sums away the extra leading dimensions but forgets the size-1 ones ((n, 1) stays (n, k))."""
BREAKS = "vjp"
MISCONCEPTION = "no_broadcast_reduction"


def _shrink(grad, like):
    extra = grad.dim() - like.dim()
    return grad.sum(dim=tuple(range(extra))) if extra > 0 else grad


def vjp(node, inputs, grad_out):
    op = node["op"]
    if op not in ("add", "sub", "mul", "div"):
        return _vjp(node, inputs, grad_out)
    x, y = inputs
    if op == "add":
        gx, gy = grad_out, grad_out
    elif op == "sub":
        gx, gy = grad_out, -grad_out
    elif op == "mul":
        gx, gy = grad_out * y, grad_out * x
    else:
        gx, gy = grad_out / y, -grad_out * x / (y * y)
    return _shrink(gx, x), _shrink(gy, y)
