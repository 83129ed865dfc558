"""backward starts the walk from ones, whatever grad_root says."""
BREAKS = "backward"
MISCONCEPTION = "grad_root_ignored"


def backward(nodes, root, grad_root):
    grads = {root: torch.ones_like(nodes[root]["value"])}
    for i in _topo_order(nodes, root):
        if nodes[i]["op"] == "leaf" or i not in grads:
            continue
        inputs = [nodes[j]["value"] for j in nodes[i]["inputs"]]
        for j, gj in zip(nodes[i]["inputs"], _vjp(nodes[i], inputs, grads[i])):
            if gj is not None and nodes[j]["requires_grad"]:
                grads[j] = grads[j] + gj if j in grads else gj
    return [grads.get(i) if n["op"] == "leaf" else None for i, n in enumerate(nodes)]
