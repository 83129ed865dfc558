"""An independent correct submission: engine, with explicit loops and a ready queue with
dependency counts (as torch's own engine schedules its nodes)."""

from collections import deque

import torch


def _to_shape(g, shape):
    # sum over the dimensions broadcasting added, then over the ones it stretched
    while g.dim() > len(shape):
        g = g.sum(dim=0)
    for d in range(len(shape)):
        if shape[d] == 1 and g.shape[d] != 1:
            g = g.sum(dim=d, keepdim=True)
    return g


def vjp(node, inputs, grad_out):
    op = node["op"]
    g = grad_out
    if op == "detach":
        return (None,)
    if op == "add":
        return (_to_shape(g, inputs[0].shape), _to_shape(g, inputs[1].shape))
    if op == "sub":
        return (_to_shape(g, inputs[0].shape), _to_shape(-g, inputs[1].shape))
    if op == "mul":
        return (_to_shape(g * inputs[1], inputs[0].shape), _to_shape(g * inputs[0], inputs[1].shape))
    if op == "div":
        a, b = inputs
        return (_to_shape(g / b, a.shape), _to_shape(-g * a / (b * b), b.shape))
    x = inputs[0]
    if op == "neg":
        return (-g,)
    if op == "pow":
        k = node["k"]
        if k == 0:
            return (g * 0.0 * torch.ones_like(x),)
        if k == 1:
            return (g.clone(),)
        return (g * k * x ** (k - 1),)
    if op == "exp":
        return (g * torch.exp(x),)
    if op == "log":
        return (g / x,)
    if op == "tanh":
        t = torch.tanh(x)
        return (g * (1.0 - t * t),)
    if op == "sigmoid":
        s = torch.sigmoid(x)
        return (g * s * (1.0 - s),)
    if op == "relu":
        return (torch.where(x > 0, g, torch.zeros_like(g)),)
    if op == "sum":
        return (torch.ones_like(x) * g,)
    if op == "mean":
        return (torch.ones_like(x) * (g / x.numel()),)
    if op == "transpose":
        return (g.transpose(0, 1).contiguous(),)
    if op == "matmul":
        a, b = inputs
        if b.dim() == 1:
            return (g.unsqueeze(1) * b.unsqueeze(0), a.transpose(0, 1) @ g)
        return (g @ b.transpose(0, 1), a.transpose(0, 1) @ g)
    raise ValueError(op)


def _edges(nodes, i):
    if nodes[i]["op"] == "detach":
        return []
    return [j for j in nodes[i]["inputs"] if nodes[j]["requires_grad"]]


def topo_order(nodes, root):
    # which nodes are reachable, and how many users each has among them
    reach = set()
    stack = [root]
    while stack:
        i = stack.pop()
        if i in reach:
            continue
        reach.add(i)
        for j in _edges(nodes, i):
            stack.append(j)
    pending = {i: 0 for i in reach}
    for i in reach:
        for j in _edges(nodes, i):
            pending[j] += 1
    queue = deque([root])
    order = []
    while queue:
        i = queue.popleft()
        order.append(i)
        for j in _edges(nodes, i):
            pending[j] -= 1
            if pending[j] == 0:
                queue.append(j)
    return order


def backward(nodes, root, grad_root):
    buffers = {}
    if grad_root is None:
        buffers[root] = torch.ones_like(nodes[root]["value"])
    else:
        buffers[root] = grad_root.clone()
    for i in topo_order(nodes, root):
        node = nodes[i]
        if node["op"] == "leaf" or i not in buffers:
            continue
        values = [nodes[j]["value"] for j in node["inputs"]]
        grads = vjp(node, values, buffers[i])
        for position in range(len(node["inputs"])):
            j = node["inputs"][position]
            gj = grads[position]
            if gj is None or not nodes[j]["requires_grad"]:
                continue
            if j in buffers:
                buffers[j] = buffers[j] + gj
            else:
                buffers[j] = gj
    result = []
    for i in range(len(nodes)):
        if nodes[i]["op"] == "leaf" and i in buffers:
            result.append(buffers[i].clone())
        else:
            result.append(None)
    return result


def numerical_grad(f, x, eps):
    out = torch.zeros_like(x)
    for idx in range(x.numel()):
        plus = x.clone()
        minus = x.clone()
        plus.view(-1)[idx] += eps
        minus.view(-1)[idx] -= eps
        out.view(-1)[idx] = (f(plus) - f(minus)) / (2.0 * eps)
    return out
