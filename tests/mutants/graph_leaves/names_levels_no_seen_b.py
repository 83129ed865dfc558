"""Walks level by level with list comprehensions and no seen set: a node reached twice (x * x) is listed, and walked, twice."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "shared_node_repeated"


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    names, level = [], [t.grad_fn]
    while level:
        names += [fn.name() for fn in level]
        level = [p for fn in level for p, _ in fn.next_functions if p is not None]
    return names
