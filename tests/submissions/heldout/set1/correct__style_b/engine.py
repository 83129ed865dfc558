"""engine (style B): iterative post-order DFS, sum_to_size for broadcasting."""

import torch


def _fit(g, like):
    if g.shape == like.shape:
        return g
    return g.sum_to_size(like.shape) if like.dim() > 0 else g.sum()


def vjp(node, inputs, grad_out):
    op, g = node["op"], grad_out
    if op == "detach":
        return (None,)
    binary = {
        "add": lambda a, b: (g, g),
        "sub": lambda a, b: (g, g.neg()),
        "mul": lambda a, b: (g * b, g * a),
        "div": lambda a, b: (g / b, g * (-a / b.square())),
    }
    if op in binary:
        a, b = inputs
        ga, gb = binary[op](a, b)
        return (_fit(ga, a), _fit(gb, b))
    x = inputs[0]
    y = node["value"]
    if op == "neg":
        return (g.neg(),)
    if op == "pow":
        k = int(node["k"])
        return (torch.zeros_like(x),) if k == 0 else (g * k * torch.pow(x, k - 1),)
    if op == "exp":
        return (g * y,)
    if op == "log":
        return (g / x,)
    if op == "tanh":
        return (g * (1 - y.square()),)
    if op == "sigmoid":
        return (g * (y * (1 - y)),)
    if op == "relu":
        return (g * (x > 0).to(g.dtype),)
    if op == "sum":
        return (g.expand_as(x).clone(),)
    if op == "mean":
        return (g.expand_as(x) / x.numel(),)
    if op == "transpose":
        return (g.T.clone(),)
    if op == "matmul":
        a, b = inputs
        if b.dim() == 1:
            return (torch.outer(g, b), torch.mv(a.T, g))
        return (g.mm(b.T), a.T.mm(g))
    raise ValueError(f"unsupported op {op!r}")


def _parents(nodes, i):
    nd = nodes[i]
    if nd["op"] in ("leaf", "detach"):
        return ()
    return tuple(j for j in nd["inputs"] if nodes[j]["requires_grad"])


def topo_order(nodes, root):
    post, done = [], set()
    stack = [(root, iter(_parents(nodes, root)))]
    done.add(root)
    while stack:
        i, it = stack[-1]
        nxt = next((j for j in it if j not in done), None)
        if nxt is None:
            stack.pop()
            post.append(i)
        else:
            done.add(nxt)
            stack.append((nxt, iter(_parents(nodes, nxt))))
    post.reverse()
    return post


def backward(nodes, root, grad_root):
    grads = {}
    grads[root] = (torch.ones_like(nodes[root]["value"]) if grad_root is None
                   else grad_root.clone())
    for i in topo_order(nodes, root):
        nd = nodes[i]
        if nd["op"] == "leaf" or i not in grads:
            continue
        contribs = vjp(nd, [nodes[j]["value"] for j in nd["inputs"]], grads[i])
        for j, c in zip(nd["inputs"], contribs):
            if c is None or not nodes[j]["requires_grad"]:
                continue
            grads[j] = grads[j] + c if j in grads else c
    result = []
    for i, nd in enumerate(nodes):
        result.append(grads[i].clone() if nd["op"] == "leaf" and i in grads else None)
    return result


def numerical_grad(f, x, eps):
    base = x.detach().reshape(-1).clone()
    vals = []
    for i in range(base.numel()):
        plus = base.clone()
        minus = base.clone()
        plus[i] = plus[i] + eps
        minus[i] = minus[i] - eps
        hi = f(plus.view(x.shape))
        lo = f(minus.view(x.shape))
        vals.append((hi - lo) / (2 * eps))
    if not vals:
        return torch.zeros_like(x)
    return torch.stack(vals).reshape(x.shape).to(dtype=x.dtype)
