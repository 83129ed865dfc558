"""backward seeds the root with torch.ones(root's shape) ("d root / d root = 1") and never looks at grad_root."""
BREAKS = "backward"
MISCONCEPTION = "grad_root_ignored"


def backward(nodes, root, grad_root):
    n = len(nodes)
    grads = [None] * n
    v = nodes[root]["value"]
    grads[root] = torch.ones(v.shape, dtype=v.dtype, device=v.device)
    for i in _topo_order(nodes, root):
        node = nodes[i]
        if node["op"] == "leaf" or grads[i] is None:
            continue
        ins = node["inputs"]
        parts = _vjp(node, [nodes[j]["value"] for j in ins], grads[i])
        for j, gj in zip(ins, parts):
            if gj is None or not nodes[j]["requires_grad"]:
                continue
            grads[j] = gj.clone() if grads[j] is None else grads[j] + gj
    return [grads[i] if nodes[i]["op"] == "leaf" else None for i in range(n)]
