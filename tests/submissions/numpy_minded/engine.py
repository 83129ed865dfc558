"""自己写反向传播引擎 — numpy-minded style.

VJPs are a table of closed forms (einsum for matmul), topo_order is Kahn's
algorithm on in-degrees, numerical_grad perturbs a flat copy coordinate by
coordinate.  No autograd anywhere.
"""
import torch


def _unbroadcast(g, shape):
    shape = tuple(shape)
    extra = g.dim() - len(shape)
    if extra > 0:
        g = g.sum(dim=tuple(range(extra)))
    dims = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    return g.reshape(shape)


def _matmul_vjp(a, b, g):
    if b.dim() == 1:
        return torch.einsum("i,k->ik", g, b), torch.einsum("ik,i->k", a, g)
    return torch.einsum("ij,kj->ik", g, b), torch.einsum("ik,ij->kj", a, g)


def _pow_vjp(x, g, k):
    if k == 0:
        return torch.zeros_like(x)
    return g * (k * x ** (k - 1))


def vjp(node, inputs, grad_out):
    op = node["op"]
    g = grad_out
    out = node["value"]
    if op == "detach":
        return (None,)
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
    (x,) = inputs[:1]
    table = {
        "neg": lambda: -g,
        "pow": lambda: _pow_vjp(x, g, node["k"]),
        "exp": lambda: g * out,
        "log": lambda: g / x,
        "tanh": lambda: g * (1.0 - out * out),
        "sigmoid": lambda: g * out * (1.0 - out),
        "relu": lambda: g * (x > 0).to(g.dtype),
        "sum": lambda: g.expand(x.shape).clone(),
        "mean": lambda: (g / max(x.numel(), 1)).expand(x.shape).clone(),
        "transpose": lambda: g.transpose(0, 1).clone(),
    }
    if op == "matmul":
        return _matmul_vjp(inputs[0], inputs[1], g)
    if op not in table:
        raise ValueError("unknown op %r" % (op,))
    return (table[op](),)


def _reach(nodes, root):
    seen = {root} if nodes[root]["requires_grad"] else set()
    stack = list(seen)
    while stack:
        i = stack.pop()
        if nodes[i]["op"] == "leaf":
            continue
        for j in nodes[i]["inputs"]:
            if nodes[j]["requires_grad"] and j not in seen:
                seen.add(j)
                stack.append(j)
    return seen


def topo_order(nodes, root):
    seen = _reach(nodes, root)
    indeg = dict.fromkeys(seen, 0)              # number of users inside `seen`
    for i in seen:
        if nodes[i]["op"] != "leaf":
            for j in nodes[i]["inputs"]:
                if j in seen:
                    indeg[j] += 1
    ready = [i for i in seen if indeg[i] == 0]   # only root
    order = []
    while ready:
        i = ready.pop()
        order.append(i)
        if nodes[i]["op"] == "leaf":
            continue
        for j in nodes[i]["inputs"]:
            if j in seen:
                indeg[j] -= 1
                if indeg[j] == 0:
                    ready.append(j)
    return order


def backward(nodes, root, grad_root):
    if grad_root is None:
        grad_root = torch.ones_like(nodes[root]["value"])
    grads = {root: grad_root}
    result = [None] * len(nodes)
    for i in topo_order(nodes, root):
        g = grads.pop(i)
        node = nodes[i]
        if node["op"] == "leaf":
            result[i] = g.clone()
            continue
        ins = [nodes[j]["value"] for j in node["inputs"]]
        for j, gj in zip(node["inputs"], vjp(node, ins, g)):
            if gj is None or not nodes[j]["requires_grad"]:
                continue
            grads[j] = gj if j not in grads else grads[j] + gj
    return result


def numerical_grad(f, x, eps):
    flat = x.detach().reshape(-1)
    out = torch.empty_like(flat)
    for i in range(flat.numel()):
        xp = flat.clone()
        xm = flat.clone()
        xp[i] += eps
        xm[i] -= eps
        fp = f(xp.reshape(x.shape))
        fm = f(xm.reshape(x.shape))
        out[i] = (fp - fm) / (2.0 * eps)
    return out.reshape(x.shape)
