"""Follows every entry of next_functions, None included (an input needing no grad)."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "none_entries_kept"


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    order, seen, queue = [], set(), [t.grad_fn]
    while queue:
        node = queue.pop(0)
        if node in seen:
            continue
        seen.add(node)
        order.append(node.name())
        queue.extend(parent for parent, _ in node.next_functions)
    return order
