"""Breadth-first, each node once, but only the nodes with a backward formula are listed:
the leaves' AccumulateGrad nodes (they hold .variable) are walked past and left out."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "leaves_left_out"


def grad_fn_names(t):
    names, level, done = [], [t.grad_fn] if t.grad_fn is not None else [], set()
    while level:
        following = []
        for fn in level:
            if fn in done:
                continue
            done.add(fn)
            if not hasattr(fn, "variable"):
                names.append(fn.name())
            following += [p for p, _ in fn.next_functions if p is not None]
        level = following
    return names
