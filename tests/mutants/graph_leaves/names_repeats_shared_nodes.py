"""Breadth-first, but a node reached twice (x * x) is listed twice."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "shared_node_repeated"


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    order, queue = [], [t.grad_fn]
    while queue:
        node = queue.pop(0)
        order.append(node.name())
        queue.extend(parent for parent, _ in node.next_functions if parent is not None)
    return order
