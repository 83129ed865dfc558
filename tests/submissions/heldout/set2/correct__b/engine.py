"""A tiny reverse-mode engine: one rule class per op, Kahn's algorithm for the order."""
import torch


def sum_to_shape(g, shape):
    """Reduce a broadcast gradient back to `shape`."""
    target = list(shape)
    extra = g.dim() - len(target)
    if extra > 0:
        g = g.sum(dim=tuple(range(extra)))
    dims = tuple(i for i, s in enumerate(target) if s == 1 and g.shape[i] != 1)
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    return g.reshape(target)


class Rule:
    def __call__(self, node, inputs, g):
        raise NotImplementedError


class Add(Rule):
    def __call__(self, node, inputs, g):
        a, b = inputs
        return sum_to_shape(g, a.shape), sum_to_shape(g, b.shape)


class Sub(Rule):
    def __call__(self, node, inputs, g):
        a, b = inputs
        return sum_to_shape(g, a.shape), sum_to_shape(-g, b.shape)


class Mul(Rule):
    def __call__(self, node, inputs, g):
        a, b = inputs
        return sum_to_shape(g * b, a.shape), sum_to_shape(g * a, b.shape)


class Div(Rule):
    def __call__(self, node, inputs, g):
        a, b = inputs
        ga = g / b
        gb = -g * a / b.pow(2)
        return sum_to_shape(ga, a.shape), sum_to_shape(gb, b.shape)


class Neg(Rule):
    def __call__(self, node, inputs, g):
        return (-g,)


class Pow(Rule):
    def __call__(self, node, inputs, g):
        (x,) = inputs
        k = int(node["k"])
        if k == 0:
            return (torch.zeros_like(x),)
        return (g * k * x.pow(k - 1),)


class Exp(Rule):
    def __call__(self, node, inputs, g):
        (x,) = inputs
        return (g * torch.exp(x),)


class Log(Rule):
    def __call__(self, node, inputs, g):
        (x,) = inputs
        return (g / x,)


class Tanh(Rule):
    def __call__(self, node, inputs, g):
        t = node["value"]
        return (g * (1 - t.pow(2)),)


class Sigmoid(Rule):
    def __call__(self, node, inputs, g):
        s = node["value"]
        return (g * s * (1 - s),)


class Relu(Rule):
    def __call__(self, node, inputs, g):
        (x,) = inputs
        return (g * (x > 0).to(g.dtype),)


class Sum(Rule):
    def __call__(self, node, inputs, g):
        (x,) = inputs
        return (g * torch.ones_like(x),)


class Mean(Rule):
    def __call__(self, node, inputs, g):
        (x,) = inputs
        return (g * torch.ones_like(x) / x.numel(),)


class Matmul(Rule):
    def __call__(self, node, inputs, g):
        A, B = inputs
        if B.dim() == 1:
            return g.unsqueeze(1) * B.unsqueeze(0), A.t() @ g
        return g @ B.t(), A.t() @ g


class Transpose(Rule):
    def __call__(self, node, inputs, g):
        return (g.t().clone(),)


class Detach(Rule):
    def __call__(self, node, inputs, g):
        return (None,)


RULES = {
    "add": Add(), "sub": Sub(), "mul": Mul(), "div": Div(), "neg": Neg(),
    "pow": Pow(), "exp": Exp(), "log": Log(), "tanh": Tanh(), "sigmoid": Sigmoid(),
    "relu": Relu(), "sum": Sum(), "mean": Mean(), "matmul": Matmul(),
    "transpose": Transpose(), "detach": Detach(),
}


def vjp(node, inputs, grad_out):
    return tuple(RULES[node["op"]](node, inputs, grad_out))


def _grad_inputs(nodes, i):
    if nodes[i]["op"] in ("leaf", "detach"):
        return []
    return [j for j in nodes[i]["inputs"] if nodes[j]["requires_grad"]]


def topo_order(nodes, root):
    # 1) collect the reachable sub-graph
    reach = {root}
    stack = [root]
    while stack:
        i = stack.pop()
        for j in _grad_inputs(nodes, i):
            if j not in reach:
                reach.add(j)
                stack.append(j)
    # 2) count users (edges, with multiplicity) inside it
    users = {i: 0 for i in reach}
    for i in reach:
        for j in _grad_inputs(nodes, i):
            users[j] += 1
    # 3) Kahn: emit a node once all its users have been emitted
    order = []
    ready = [root]
    while ready:
        i = ready.pop()
        order.append(i)
        for j in _grad_inputs(nodes, i):
            users[j] -= 1
            if users[j] == 0:
                ready.append(j)
    return order


def backward(nodes, root, grad_root):
    value = nodes[root]["value"]
    if grad_root is None:
        grad_root = torch.ones_like(value)
    acc = [None] * len(nodes)
    acc[root] = grad_root
    for i in topo_order(nodes, root):
        node = nodes[i]
        if node["op"] == "leaf":
            continue
        ins = [nodes[j]["value"] for j in node["inputs"]]
        outs = vjp(node, ins, acc[i])
        for j, gj in zip(node["inputs"], outs):
            if gj is None or not nodes[j]["requires_grad"]:
                continue
            acc[j] = gj if acc[j] is None else acc[j] + gj
    result = []
    for i, node in enumerate(nodes):
        if node["op"] == "leaf" and node["requires_grad"] and acc[i] is not None:
            result.append(acc[i].clone())
        else:
            result.append(None)
    return result


def numerical_grad(f, x, eps):
    grad = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    it = grad.view(-1)
    base = x.detach().clone()
    n = base.numel()
    for i in range(n):
        step = torch.zeros(n, dtype=x.dtype, device=x.device)
        step[i] = eps
        step = step.view(x.shape)
        it[i] = (f(base + step) - f(base - step)) / (2.0 * eps)
    return grad
