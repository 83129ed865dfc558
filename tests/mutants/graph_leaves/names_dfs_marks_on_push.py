"""A real student's walk: a stack, each node marked as seen when it is pushed."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "depth_first_order"


def grad_fn_names(t):
    root = t.grad_fn
    if root is None:
        return []
    names, visited, stack = [], {root}, [root]
    while stack:
        node = stack.pop()
        names.append(node.name())
        for parent, _ in reversed(node.next_functions):
            if parent is not None and parent not in visited:
                visited.add(parent)
                stack.append(parent)
    return names
