"""Breadth-first, but the name is recorded before the seen check: a node reached twice is listed twice (expanded once)."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "shared_node_repeated"

from collections import deque


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    names, seen, queue = [], set(), deque([t.grad_fn])
    while queue:
        fn = queue.popleft()
        names.append(fn.name())
        if fn in seen:
            continue
        seen.add(fn)
        queue.extend(p for p, _ in fn.next_functions if p is not None)
    return names
