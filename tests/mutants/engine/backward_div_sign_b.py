"""A one-piece engine that writes d(a/b)/db as a / b**2 times the upstream gradient,
forgetting that b**-1 differentiates to −b**-2."""
BREAKS = "backward"
MISCONCEPTION = "vjp_sign_dropped"


def backward(nodes, root, grad_root):
    grad = [None] * len(nodes)
    grad[root] = grad_root if grad_root is not None else torch.ones_like(nodes[root]["value"])
    for i in range(root, -1, -1):
        node = nodes[i]
        if grad[i] is None or node["op"] in ("leaf", "detach"):
            continue
        xs = [nodes[j]["value"] for j in node["inputs"]]
        parts = list(_vjp(node, xs, grad[i]))
        if node["op"] == "div":
            num, den = xs
            parts[1] = _unbroadcast(num / den ** 2 * grad[i], den.shape)
        for j, part in zip(node["inputs"], parts):
            if part is None or not nodes[j]["requires_grad"]:
                continue
            grad[j] = part if grad[j] is None else grad[j] + part
    return [g if n["op"] == "leaf" else None for g, n in zip(grad, nodes)]
