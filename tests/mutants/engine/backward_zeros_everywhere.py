"""backward returns a zero tensor for every leaf without a gradient, even leaves without requires_grad."""
BREAKS = "backward"
MISCONCEPTION = "zeros_instead_of_none"


def backward(nodes, root, grad_root):
    total = {}
    seed = torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root
    total[root] = seed
    for i in _topo_order(nodes, root):
        n = nodes[i]
        if n["op"] != "leaf" and i in total:
            for j, p in zip(n["inputs"], _vjp(n, [nodes[j]["value"] for j in n["inputs"]], total[i])):
                if p is not None and nodes[j]["requires_grad"]:
                    total[j] = total.get(j, 0) + p
    return [(total[i].clone() if i in total else torch.zeros_like(n["value"]))
            if n["op"] == "leaf" else None for i, n in enumerate(nodes)]
