"""backward assigns each incoming gradient instead of adding it: a shared node keeps the last one."""
BREAKS = "backward"
MISCONCEPTION = "shared_grad_overwritten"


def backward(nodes, root, grad_root):
    value = nodes[root]["value"]
    grads = {root: torch.ones_like(value) if grad_root is None else grad_root.clone()}
    for i in _topo_order(nodes, root):
        node = nodes[i]
        if node["op"] == "leaf" or i not in grads:
            continue
        ins = [nodes[j]["value"] for j in node["inputs"]]
        for j, gj in zip(node["inputs"], _vjp(node, ins, grads[i])):
            if gj is not None and nodes[j]["requires_grad"]:
                grads[j] = gj
    return [grads[i].clone() if n["op"] == "leaf" and i in grads else None
            for i, n in enumerate(nodes)]
