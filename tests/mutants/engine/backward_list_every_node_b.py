"""backward keeps one list of gradients for all nodes and returns it whole: inner nodes get their gradients too."""
BREAKS = "backward"
MISCONCEPTION = "nonleaf_grads_returned"


def backward(nodes, root, grad_root):
    out = [None] * len(nodes)
    root_value = nodes[root]["value"]
    out[root] = grad_root.clone() if grad_root is not None else torch.ones_like(root_value)
    for i in _topo_order(nodes, root):
        if out[i] is None or not nodes[i]["inputs"]:
            continue
        vals = [nodes[j]["value"] for j in nodes[i]["inputs"]]
        for j, gj in zip(nodes[i]["inputs"], _vjp(nodes[i], vals, out[i])):
            if gj is not None and nodes[j]["requires_grad"]:
                out[j] = gj.clone() if out[j] is None else out[j] + gj
    return out
