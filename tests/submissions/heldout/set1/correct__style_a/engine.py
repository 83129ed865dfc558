"""engine (style A): Kahn's algorithm over the requires-grad subgraph."""

from collections import deque

import torch


def _reduce_to(g, shape):
    shape = tuple(shape)
    extra = g.dim() - len(shape)
    if extra > 0:
        g = g.sum(dim=tuple(range(extra)))
    dims = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    return g.reshape(shape)


def vjp(node, inputs, grad_out):
    op = node["op"]
    g = grad_out
    if op == "detach":
        return (None,)
    if op == "add":
        a, b = inputs
        return (_reduce_to(g, a.shape), _reduce_to(g, b.shape))
    if op == "sub":
        a, b = inputs
        return (_reduce_to(g, a.shape), _reduce_to(-g, b.shape))
    if op == "mul":
        a, b = inputs
        return (_reduce_to(g * b, a.shape), _reduce_to(g * a, b.shape))
    if op == "div":
        a, b = inputs
        return (_reduce_to(g / b, a.shape), _reduce_to(-g * a / (b * b), b.shape))
    (a,) = inputs[:1]
    out = node["value"]
    if op == "neg":
        return (-g,)
    if op == "pow":
        k = int(node["k"])
        if k == 0:
            return (torch.zeros_like(a),)
        if k == 1:
            return (g.clone(),)
        return (g * (k * a.pow(k - 1)),)
    if op == "exp":
        return (g * out,)
    if op == "log":
        return (g / a,)
    if op == "tanh":
        return (g * (1 - out * out),)
    if op == "sigmoid":
        return (g * out * (1 - out),)
    if op == "relu":
        return (torch.where(a > 0, g, torch.zeros_like(g)),)
    if op == "sum":
        return (torch.ones_like(a) * g,)
    if op == "mean":
        return (torch.ones_like(a) * (g / a.numel()),)
    if op == "transpose":
        return (g.transpose(0, 1).contiguous(),)
    if op == "matmul":
        a, b = inputs
        if b.dim() == 1:
            return (g.unsqueeze(1) * b.unsqueeze(0), a.transpose(0, 1) @ g)
        return (g @ b.transpose(0, 1), a.transpose(0, 1) @ g)
    raise ValueError(f"unknown op {op!r}")


def _edges(nodes, i):
    """Inputs of node i through which gradient flows."""
    if nodes[i]["op"] in ("leaf", "detach"):
        return []
    return [j for j in nodes[i]["inputs"] if nodes[j]["requires_grad"]]


def topo_order(nodes, root):
    # collect the reachable subgraph
    reach = {root}
    todo = [root]
    while todo:
        i = todo.pop()
        for j in _edges(nodes, i):
            if j not in reach:
                reach.add(j)
                todo.append(j)
    # count users inside the subgraph (with multiplicity)
    users = {i: 0 for i in reach}
    for i in reach:
        for j in _edges(nodes, i):
            users[j] += 1
    ready = deque([root])
    order = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for j in _edges(nodes, i):
            users[j] -= 1
            if users[j] == 0:
                ready.append(j)
    return order


def backward(nodes, root, grad_root):
    acc = [None] * len(nodes)
    rv = nodes[root]["value"]
    acc[root] = torch.ones_like(rv) if grad_root is None else grad_root.detach().clone()
    for i in topo_order(nodes, root):
        nd = nodes[i]
        if nd["op"] == "leaf" or acc[i] is None:
            continue
        vals = [nodes[j]["value"] for j in nd["inputs"]]
        for j, gj in zip(nd["inputs"], vjp(nd, vals, acc[i])):
            if gj is None or not nodes[j]["requires_grad"]:
                continue
            acc[j] = gj if acc[j] is None else acc[j] + gj
    return [acc[i].clone() if (nodes[i]["op"] == "leaf" and acc[i] is not None) else None
            for i in range(len(nodes))]


def numerical_grad(f, x, eps):
    x0 = x.detach()
    out = torch.zeros(x0.numel(), dtype=x0.dtype, device=x0.device)
    for i in range(x0.numel()):
        e = torch.zeros(x0.numel(), dtype=x0.dtype, device=x0.device)
        e[i] = eps
        e = e.reshape(x0.shape)
        out[i] = (f(x0 + e) - f(x0 - e)) / (2 * eps)
    return out.reshape(x0.shape)
