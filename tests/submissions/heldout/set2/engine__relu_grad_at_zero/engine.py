"""A tiny reverse-mode engine over a graph given as plain data."""
import torch


def _unbroadcast(g, shape):
    shape = torch.Size(shape)
    while g.dim() > len(shape):
        g = g.sum(dim=0)
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i] != 1:
            g = g.sum(dim=i, keepdim=True)
    return g.reshape(shape)


def vjp(node, inputs, grad_out):
    op = node["op"]
    g = grad_out
    out = node["value"]
    if op == "add":
        a, b = inputs
        return _unbroadcast(g, a.shape), _unbroadcast(g, b.shape)
    if op == "sub":
        a, b = inputs
        return _unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)
    if op == "mul":
        a, b = inputs
        return _unbroadcast(g * b, a.shape), _unbroadcast(g * a, b.shape)
    if op == "div":
        a, b = inputs
        return _unbroadcast(g / b, a.shape), _unbroadcast(-g * a / (b * b), b.shape)
    if op == "neg":
        return (-g,)
    if op == "pow":
        (x,) = inputs
        k = node["k"]
        if k == 0:
            return (torch.zeros_like(x),)
        return (g * (k * x ** (k - 1)),)
    if op == "exp":
        return (g * out,)
    if op == "log":
        (x,) = inputs
        return (g / x,)
    if op == "tanh":
        return (g * (1 - out * out),)
    if op == "sigmoid":
        return (g * (1 - out) * out,)
    if op == "relu":
        (x,) = inputs
        return (torch.where(x >= 0, g, torch.zeros_like(g)),)
    if op == "sum":
        (x,) = inputs
        return (g.expand(x.shape).clone(),)
    if op == "mean":
        (x,) = inputs
        return (g.expand(x.shape) / x.numel(),)
    if op == "matmul":
        a, b = inputs
        if b.dim() == 1:
            return torch.outer(g, b), a.T @ g
        return g @ b.T, a.T @ g
    if op == "transpose":
        return (g.T.contiguous(),)
    if op == "detach":
        return (None,)
    raise ValueError("unknown op " + str(op))


def topo_order(nodes, root):
    order = []
    visited = set()

    def visit(i):
        # iterative post-order DFS to avoid recursion limits
        stack = [(i, False)]
        while stack:
            j, done = stack.pop()
            if done:
                order.append(j)
                continue
            if j in visited:
                continue
            visited.add(j)
            stack.append((j, True))
            for p in nodes[j]["inputs"]:
                if nodes[p]["requires_grad"] and nodes[j]["op"] != "detach" and p not in visited:
                    stack.append((p, False))

    if nodes[root]["requires_grad"]:
        visit(root)
    order.reverse()
    return order


def backward(nodes, root, grad_root):
    if grad_root is None:
        grad_root = torch.ones_like(nodes[root]["value"])
    grads = {root: grad_root}
    result = [None] * len(nodes)
    for i in topo_order(nodes, root):
        node = nodes[i]
        g = grads.get(i)
        if g is None:
            continue
        if node["op"] == "leaf":
            result[i] = g.detach().clone()
            continue
        ins = [nodes[j]["value"] for j in node["inputs"]]
        for j, gj in zip(node["inputs"], vjp(node, ins, g)):
            if gj is None or not nodes[j]["requires_grad"]:
                continue
            grads[j] = gj if j not in grads else grads[j] + gj
    return result


def numerical_grad(f, x, eps):
    flat = x.detach().reshape(-1)
    grad = torch.zeros_like(flat)
    for i in range(flat.numel()):
        xp = flat.clone()
        xm = flat.clone()
        xp[i] += eps
        xm[i] -= eps
        fp = f(xp.reshape(x.shape))
        fm = f(xm.reshape(x.shape))
        grad[i] = (fp - fm) / (2 * eps)
    return grad.reshape(x.shape)
