"""backward walks the order with a while loop that ends when it reaches a leaf."""
BREAKS = "backward"
MISCONCEPTION = "walk_stops_at_leaf"


def backward(nodes, root, grad_root):
    order = _topo_order(nodes, root)
    grads = {root: torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root}
    k = 0
    while k < len(order) and nodes[order[k]]["op"] != "leaf":
        i = order[k]
        k += 1
        if i not in grads:
            continue
        inputs = [nodes[j]["value"] for j in nodes[i]["inputs"]]
        for j, gj in zip(nodes[i]["inputs"], _vjp(nodes[i], inputs, grads[i])):
            if gj is not None and nodes[j]["requires_grad"]:
                grads[j] = grads[j] + gj if j in grads else gj
    return [grads.get(i) if n["op"] == "leaf" else None for i, n in enumerate(nodes)]
