"""vjp redoes the op on inputs that require grad and asks torch.autograd.grad: right values, broken rule."""
BREAKS = "vjp"
MISCONCEPTION = "autograd_in_engine"

_FORWARD = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "matmul": lambda a, b: a @ b, "neg": lambda a: -a,
    "exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
    "relu": torch.relu, "sum": torch.sum, "mean": torch.mean, "transpose": torch.t,
}


def vjp(node, inputs, grad_out):
    if node["op"] == "detach":
        return (None,)
    xs = [x.detach().clone().requires_grad_(True) for x in inputs]
    if node["op"] == "pow":
        out = xs[0] ** node["k"]
    else:
        out = _FORWARD[node["op"]](*xs)
    grads = torch.autograd.grad(out, xs, grad_out, allow_unused=True)
    return tuple(torch.zeros_like(x) if g is None else g for g, x in zip(grads, xs))
