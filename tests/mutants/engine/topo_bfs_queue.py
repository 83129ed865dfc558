"""topo_order is a plain breadth-first walk with a queue: each node emitted when first dequeued."""
BREAKS = "topo_order"
MISCONCEPTION = "topo_preorder"

from collections import deque


def topo_order(nodes, root):
    queue, seen, order = deque([root]), {root}, []
    while queue:
        i = queue.popleft()
        order.append(i)
        for j in nodes[i]["inputs"]:
            if j not in seen and nodes[j]["requires_grad"]:
                seen.add(j)
                queue.append(j)
    return order
