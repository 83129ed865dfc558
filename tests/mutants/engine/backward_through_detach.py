"""backward treats detach as the identity and walks through it (ignoring the nodes' requires_grad)."""
BREAKS = "backward"
MISCONCEPTION = "grad_through_detach"


def backward(nodes, root, grad_root):
    order, seen = [], set()

    def visit(i):
        seen.add(i)
        for j in nodes[i]["inputs"]:
            if j not in seen:
                visit(j)
        order.append(i)

    visit(root)
    grads = {root: torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root}
    for i in reversed(order):
        node = nodes[i]
        if node["op"] == "leaf" or i not in grads:
            continue
        if node["op"] == "detach":
            parts = (grads[i],)
        else:
            parts = _vjp(node, [nodes[j]["value"] for j in node["inputs"]], grads[i])
        for j, p in zip(node["inputs"], parts):
            grads[j] = grads[j] + p if j in grads else p
    return [grads[i].clone() if n["op"] == "leaf" and n["requires_grad"] and i in grads
            else None for i, n in enumerate(nodes)]
