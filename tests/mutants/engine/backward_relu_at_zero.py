"""backward's own relu rule passes the gradient where x >= 0 (1 at exactly 0)."""
BREAKS = "backward"
MISCONCEPTION = "relu_grad_at_zero"


def _rule(node, inputs, grad_out):
    if node["op"] == "relu":
        return (grad_out * (inputs[0] >= 0).to(grad_out.dtype),)
    return _vjp(node, inputs, grad_out)


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
