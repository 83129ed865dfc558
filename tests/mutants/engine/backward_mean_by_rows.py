"""backward carries its own rule for mean and divides by the number of rows, not numel
(its vjp is right; backward does not use it for mean)."""
BREAKS = "backward"
MISCONCEPTION = "mean_grad_not_divided"


def _rule(node, inputs, grad_out):
    a = inputs[0]
    if node["op"] == "mean" and a.dim() > 0:
        return ((grad_out / a.shape[0]).expand(a.shape).clone(),)
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
