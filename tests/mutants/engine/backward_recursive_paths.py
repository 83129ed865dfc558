"""backward recurses along every path and stores the gradient at a leaf by assignment (last path wins)."""
BREAKS = "backward"
MISCONCEPTION = "shared_grad_overwritten"


def backward(nodes, root, grad_root):
    result = [None] * len(nodes)

    def send(i, g):
        node = nodes[i]
        if node["op"] == "leaf":
            result[i] = g.clone()
            return
        parts = _vjp(node, [nodes[j]["value"] for j in node["inputs"]], g)
        for j, part in zip(node["inputs"], parts):
            if part is not None and nodes[j]["requires_grad"]:
                send(j, part)

    start = grad_root if grad_root is not None else torch.ones_like(nodes[root]["value"])
    send(root, start)
    return result
