"""A one-piece engine that gives B the gradient Gᵀ @ A (the transpose of Aᵀ @ G) in
matrix @ matrix."""
BREAKS = "backward"
MISCONCEPTION = "matmul_wrong_side"


def backward(nodes, root, grad_root):
    grad = [None] * len(nodes)
    grad[root] = grad_root if grad_root is not None else torch.ones_like(nodes[root]["value"])
    for i in range(root, -1, -1):
        node = nodes[i]
        if grad[i] is None or node["op"] in ("leaf", "detach"):
            continue
        xs = [nodes[j]["value"] for j in node["inputs"]]
        parts = list(_vjp(node, xs, grad[i]))
        if node["op"] == "matmul" and xs[1].dim() == 2:
            parts[1] = grad[i].transpose(0, 1) @ xs[0]
        for j, part in zip(node["inputs"], parts):
            if part is None or not nodes[j]["requires_grad"]:
                continue
            grad[j] = part if grad[j] is None else grad[j] + part
    return [g if n["op"] == "leaf" else None for g, n in zip(grad, nodes)]
