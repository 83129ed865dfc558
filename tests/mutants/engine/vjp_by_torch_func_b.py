"""vjp rebuilds the op as a function and pulls grad_out back with torch.func.vjp: right values, broken rule."""
BREAKS = "vjp"
MISCONCEPTION = "autograd_in_engine"

from torch.func import vjp as _func_vjp

_OPS = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
    "matmul": torch.matmul, "neg": torch.neg, "exp": torch.exp, "log": torch.log,
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
    "sum": torch.sum, "mean": torch.mean, "transpose": torch.t,
}


def vjp(node, inputs, grad_out):
    op = node["op"]
    if op == "detach":
        return (None,)
    if op == "pow":
        k = int(node["k"])
        fn = lambda a: torch.pow(a, k)
    else:
        fn = _OPS[op]
    _, pullback = _func_vjp(fn, *inputs)
    return tuple(pullback(grad_out))
