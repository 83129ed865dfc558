"""A one-piece engine that reduces a broadcast gradient with grad.sum(dim=range(extra)):
only the dimensions broadcasting added in front go, size-1 dimensions stay expanded."""
BREAKS = "backward"
MISCONCEPTION = "no_broadcast_reduction"


def backward(nodes, root, grad_root):
    grad = [None] * len(nodes)
    grad[root] = grad_root if grad_root is not None else torch.ones_like(nodes[root]["value"])
    for i in range(root, -1, -1):
        node = nodes[i]
        if grad[i] is None or node["op"] in ("leaf", "detach"):
            continue
        xs = [nodes[j]["value"] for j in node["inputs"]]
        parts = list(_vjp(node, xs, grad[i]))
        if node["op"] in ("add", "sub", "mul", "div"):
            g = grad[i]
            local = {"add": (g, g), "sub": (g, -g), "mul": (g * xs[1], g * xs[0]),
                     "div": (g / xs[1], -g * xs[0] / xs[1] ** 2)}[node["op"]]
            parts = []
            for x, p in zip(xs, local):
                extra = p.dim() - x.dim()
                parts.append(p.sum(dim=tuple(range(extra))) if extra else p)
        for j, part in zip(node["inputs"], parts):
            if part is None or not nodes[j]["requires_grad"]:
                continue
            grad[j] = part if grad[j] is None else grad[j] + part
    return [g if n["op"] == "leaf" else None for g, n in zip(grad, nodes)]
