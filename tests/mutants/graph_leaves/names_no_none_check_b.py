"""Breadth-first with a seen set, but every parent in next_functions is queued, None (an input needing no grad) included."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "none_entries_kept"

from collections import deque


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    order, seen, queue = [], {t.grad_fn}, deque([t.grad_fn])
    while queue:
        node = queue.popleft()
        order.append(node.name())
        for parent, _ in node.next_functions:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order
