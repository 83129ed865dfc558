"""backward walks breadth-first from the root with a queue, running each node's vjp as it is
dequeued the first time (before a later user adds to it)."""
BREAKS = "backward"
MISCONCEPTION = "walk_not_topological"
from collections import deque


def backward(nodes, root, grad_root):
    grads = {root: torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root}
    queue, seen = deque([root]), {root}
    while queue:
        i = queue.popleft()
        node = nodes[i]
        if node["op"] in ("leaf", "detach"):
            continue
        inputs = [nodes[j]["value"] for j in node["inputs"]]
        for j, gj in zip(node["inputs"], _vjp(node, inputs, grads[i])):
            if gj is None or not nodes[j]["requires_grad"]:
                continue
            grads[j] = grads[j] + gj if j in grads else gj
            if j not in seen:
                seen.add(j)
                queue.append(j)
    return [grads.get(i) if n["op"] == "leaf" else None for i, n in enumerate(nodes)]
