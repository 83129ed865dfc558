"""backward returns the gradient it computed for every node, inner nodes included."""
BREAKS = "backward"
MISCONCEPTION = "nonleaf_grads_returned"


def backward(nodes, root, grad_root):
    grads = {root: torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root}
    for i in _topo_order(nodes, root):
        if nodes[i]["op"] == "leaf" or i not in grads:
            continue
        inputs = [nodes[j]["value"] for j in nodes[i]["inputs"]]
        for j, gj in zip(nodes[i]["inputs"], _vjp(nodes[i], inputs, grads[i])):
            if gj is not None and nodes[j]["requires_grad"]:
                grads[j] = grads[j] + gj if j in grads else gj
    return [grads[i].clone() if i in grads else None for i in range(len(nodes))]
