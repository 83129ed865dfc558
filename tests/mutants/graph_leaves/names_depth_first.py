"""Walks the graph depth-first (a stack) instead of breadth-first."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "depth_first_order"


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    order, seen, stack = [], set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node.name())
        for parent, _ in reversed(node.next_functions):
            if parent is not None:
                stack.append(parent)
    return order
