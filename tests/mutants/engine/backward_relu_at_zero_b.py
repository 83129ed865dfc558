"""A one-piece engine whose relu gradient is torch.where(x < 0, 0, g): the negative
side zeroed, exactly 0 passing."""
BREAKS = "backward"
MISCONCEPTION = "relu_grad_at_zero"


def backward(nodes, root, grad_root):
    grad = [None] * len(nodes)
    grad[root] = grad_root if grad_root is not None else torch.ones_like(nodes[root]["value"])
    for i in range(root, -1, -1):
        node = nodes[i]
        if grad[i] is None or node["op"] in ("leaf", "detach"):
            continue
        xs = [nodes[j]["value"] for j in node["inputs"]]
        if node["op"] == "relu":
            parts = (torch.where(xs[0] < 0, torch.zeros_like(grad[i]), grad[i]),)
        else:
            parts = _vjp(node, xs, grad[i])
        for j, part in zip(node["inputs"], parts):
            if part is None or not nodes[j]["requires_grad"]:
                continue
            grad[j] = part if grad[j] is None else grad[j] + part
    return [g if n["op"] == "leaf" else None for g, n in zip(grad, nodes)]
