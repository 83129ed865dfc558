"""backward's walk breaks out of the loop at the first leaf (break where continue belongs):
inner nodes ordered after that leaf never pass their gradients on."""
BREAKS = "backward"
MISCONCEPTION = "walk_stops_at_leaf"


def backward(nodes, root, grad_root):
    grads = {root: torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root}
    for i in _topo_order(nodes, root):
        if nodes[i]["op"] == "leaf":
            break
        if i not in grads:
            continue
        inputs = [nodes[j]["value"] for j in nodes[i]["inputs"]]
        for j, gj in zip(nodes[i]["inputs"], _vjp(nodes[i], inputs, grads[i])):
            if gj is not None and nodes[j]["requires_grad"]:
                grads[j] = grads[j] + gj if j in grads else gj
    return [grads.get(i) if n["op"] == "leaf" else None for i, n in enumerate(nodes)]
