"""A backward with a table of pending gradients that leaves a node as soon as one of its inputs needs no
gradient, so the inputs after it never get theirs."""
BREAKS = "backward"
MISCONCEPTION = "constant_input_stops_walk"


def backward(nodes, root, grad_root):
    grads = {}
    start = torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root
    pending = {root: start}
    for i in _topo_order(nodes, root):
        g = pending.pop(i, None)
        if g is None:
            continue
        if nodes[i]["op"] == "leaf":
            grads[i] = g
            continue
        inputs = [nodes[j]["value"] for j in nodes[i]["inputs"]]
        for j, gj in zip(nodes[i]["inputs"], _vjp(nodes[i], inputs, g)):
            if gj is None or not nodes[j]["requires_grad"]:
                break
            pending[j] = pending[j] + gj if j in pending else gj
    return [grads.get(i) for i in range(len(nodes))]
