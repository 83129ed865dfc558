"""Kahn-style backward with dependency counts, where detach passes its gradient straight on."""
BREAKS = "backward"
MISCONCEPTION = "grad_through_detach"


def backward(nodes, root, grad_root):
    reach, stack = set(), [root]
    while stack:
        i = stack.pop()
        if i not in reach:
            reach.add(i)
            stack.extend(nodes[i]["inputs"])
    users = {i: 0 for i in reach}
    for i in reach:
        for j in nodes[i]["inputs"]:
            users[j] += 1
    acc = {root: grad_root if grad_root is not None else torch.ones_like(nodes[root]["value"])}
    ready = [root]
    while ready:
        i = ready.pop()
        node = nodes[i]
        if node["op"] == "leaf":
            continue
        if node["op"] == "detach":
            parts = [acc.get(i)]
        else:
            g = acc.get(i)
            parts = [None] * len(node["inputs"]) if g is None else \
                _vjp(node, [nodes[j]["value"] for j in node["inputs"]], g)
        for j, p in zip(node["inputs"], parts):
            if p is not None:
                acc[j] = acc[j] + p if j in acc else p
            users[j] -= 1
            if users[j] == 0:
                ready.append(j)
    return [acc[i].clone() if n["op"] == "leaf" and n["requires_grad"] and i in acc else None
            for i, n in enumerate(nodes)]
