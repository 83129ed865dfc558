"""Reference solution: engine (自己写反向传播引擎)."""

import torch


def _unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape`` (undo broadcasting)."""
    shape = tuple(shape)
    while grad.dim() > len(shape):
        grad = grad.sum(0)
    for i, n in enumerate(shape):
        if n == 1 and grad.shape[i] != 1:
            grad = grad.sum(i, keepdim=True)
    return grad


def _vjp(node, inputs, grad_out):
    op, g = node["op"], grad_out
    if op == "detach":
        return (None,)
    a = inputs[0]
    if op in ("add", "sub", "mul", "div"):
        b = inputs[1]
        if op == "add":
            ga, gb = g, g
        elif op == "sub":
            ga, gb = g, -g
        elif op == "mul":
            ga, gb = g * b, g * a
        else:
            ga, gb = g / b, -g * a / (b * b)
        return (_unbroadcast(ga, a.shape), _unbroadcast(gb, b.shape))
    if op == "neg":
        return (-g,)
    if op == "pow":
        k = int(node["k"])
        if k == 0:
            return (torch.zeros_like(a),)
        return (g * k * a ** (k - 1),)
    if op == "exp":
        return (g * node["value"],)
    if op == "log":
        return (g / a,)
    if op == "tanh":
        y = node["value"]
        return (g * (1 - y * y),)
    if op == "sigmoid":
        y = node["value"]
        return (g * y * (1 - y),)
    if op == "relu":
        return (g * (a > 0).to(a.dtype),)
    if op == "sum":
        return (g.expand(a.shape).clone(),)
    if op == "mean":
        return ((g / a.numel()).expand(a.shape).clone(),)
    if op == "transpose":
        return (g.t().clone(),)
    if op == "matmul":
        b = inputs[1]
        if b.dim() == 1:
            return (torch.outer(g, b), a.t() @ g)
        return (g @ b.t(), a.t() @ g)
    raise ValueError(f"unknown op {op!r}")


def _topo_order(nodes, root):
    order, seen = [], set()

    def visit(i):
        seen.add(i)
        for j in nodes[i]["inputs"]:
            if nodes[i]["op"] != "detach" and nodes[j]["requires_grad"] and j not in seen:
                visit(j)
        order.append(i)

    visit(root)
    return order[::-1]


def vjp(node, inputs, grad_out):
    return _vjp(node, inputs, grad_out)


def topo_order(nodes, root):
    return _topo_order(nodes, root)


# backward uses the private _vjp and _topo_order, so that a mutant of vjp or topo_order
# (tests/mutants/engine) loses points on that function only.
def backward(nodes, root, grad_root):
    value = nodes[root]["value"]
    grads = {root: torch.ones_like(value) if grad_root is None else grad_root.clone()}
    for i in _topo_order(nodes, root):
        node, g = nodes[i], grads.get(i)
        if node["op"] == "leaf" or g is None:
            continue
        inputs = [nodes[j]["value"] for j in node["inputs"]]
        for j, gj in zip(node["inputs"], _vjp(node, inputs, g)):
            if gj is None or not nodes[j]["requires_grad"]:
                continue
            grads[j] = gj if j not in grads else grads[j] + gj
    return [grads[i].clone() if node["op"] == "leaf" and i in grads else None
            for i, node in enumerate(nodes)]


def numerical_grad(f, x, eps):
    base = x.detach().clone(memory_format=torch.contiguous_format)
    f0 = f(base)
    grad = torch.empty_like(base)
    gflat = grad.view(-1)
    for i in range(base.numel()):
        shifted = base.clone()
        shifted.view(-1)[i] += eps
        gflat[i] = (f(shifted) - f0) / eps
    return grad
