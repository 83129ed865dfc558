"""An engine written in one piece (walk down the indices, rules inline): mean's gradient
is spread over len(x) elements, the first dimension, instead of all of them."""
BREAKS = "backward"
MISCONCEPTION = "mean_grad_not_divided"


def backward(nodes, root, grad_root):
    grad = [None] * len(nodes)
    grad[root] = grad_root if grad_root is not None else torch.ones_like(nodes[root]["value"])
    for i in range(root, -1, -1):
        node = nodes[i]
        if grad[i] is None or node["op"] in ("leaf", "detach"):
            continue
        xs = [nodes[j]["value"] for j in node["inputs"]]
        if node["op"] == "mean":
            x = xs[0]
            count = x.size(0) if x.dim() else 1
            parts = (torch.full_like(x, 1.0) * grad[i] / count,)
        else:
            parts = _vjp(node, xs, grad[i])
        for j, part in zip(node["inputs"], parts):
            if part is None or not nodes[j]["requires_grad"]:
                continue
            grad[j] = part if grad[j] is None else grad[j] + part
    return [g if n["op"] == "leaf" else None for g, n in zip(grad, nodes)]
