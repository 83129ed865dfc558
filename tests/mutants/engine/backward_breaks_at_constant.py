"""backward leaves a node's loop over its inputs at the first input that needs no gradient
(break where continue belongs): mul(x, w) with x constant never reaches w."""
BREAKS = "backward"
MISCONCEPTION = "constant_input_stops_walk"


def backward(nodes, root, grad_root):
    grads = {root: torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root}
    for i in _topo_order(nodes, root):
        if nodes[i]["op"] == "leaf" or i not in grads:
            continue
        inputs = [nodes[j]["value"] for j in nodes[i]["inputs"]]
        for j, gj in zip(nodes[i]["inputs"], _vjp(nodes[i], inputs, grads[i])):
            if gj is None or not nodes[j]["requires_grad"]:
                break
            grads[j] = grads[j] + gj if j in grads else gj
    return [grads.get(i) if n["op"] == "leaf" else None for i, n in enumerate(nodes)]
