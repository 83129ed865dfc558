"""backward's own div rule drops the minus sign of the denominator's gradient
(+g·a/b² instead of −g·a/b²)."""
BREAKS = "backward"
MISCONCEPTION = "vjp_sign_dropped"


def _rule(node, inputs, grad_out):
    if node["op"] == "div":
        a, b = inputs
        return (_unbroadcast(grad_out / b, a.shape),
                _unbroadcast(grad_out * a / (b * b), b.shape))
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
