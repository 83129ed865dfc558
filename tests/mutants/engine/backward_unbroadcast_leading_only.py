"""backward un-broadcasts with its own helper that sums away only the extra leading
dimensions: an (n, 1) or (1, k) input gets an (n, k) gradient."""
BREAKS = "backward"
MISCONCEPTION = "no_broadcast_reduction"


def _rule(node, inputs, grad_out):
    if node["op"] not in ("add", "sub", "mul", "div"):
        return _vjp(node, inputs, grad_out)
    a, b = inputs
    g = grad_out
    ga, gb = {"add": (g, g), "sub": (g, -g), "mul": (g * b, g * a),
              "div": (g / b, -g * a / (b * b))}[node["op"]]

    def lead(grad, like):
        while grad.dim() > like.dim():
            grad = grad.sum(0)
        return grad
    return lead(ga, a), lead(gb, b)


def backward(nodes, root, grad_root):
    value = nodes[root]["value"]
    grads = {root: torch.ones_like(value) if grad_root is None else grad_root.clone()}
    for i in _topo_order(nodes, root):
        node, g = nodes[i], grads.get(i)
        if node["op"] == "leaf" or g is None:
            continue
        for j, gj in zip(node["inputs"], _rule(node, [nodes[j]["value"] for j in node["inputs"]], g)):
            if gj is not None and nodes[j]["requires_grad"]:
                grads[j] = gj if j not in grads else grads[j] + gj
    return [grads[i].clone() if n["op"] == "leaf" and i in grads else None
            for i, n in enumerate(nodes)]
