"""A stack walk that pushes the parents in next_functions' order, so the last parent is
visited first: depth-first, and right to left."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "depth_first_order"


def grad_fn_names(t):
    todo, visited, names = ([t.grad_fn] if t.grad_fn else []), [], []
    while todo:
        fn = todo.pop()
        if any(fn is v for v in visited):
            continue
        visited.append(fn)
        names.append(fn.name())
        todo += [p for p, _ in fn.next_functions if p is not None]
    return names
