"""Recursion that marks a node's children before descending into them (mark on push,
recursive style)."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "depth_first_order"


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    out, marked = [], {t.grad_fn}

    def visit(fn):
        out.append(fn.name())
        kids = []
        for parent, _ in fn.next_functions:
            if parent is not None and parent not in marked:
                marked.add(parent)          # marked when found, before it is visited
                kids.append(parent)
        for kid in kids:
            visit(kid)
    visit(t.grad_fn)
    return out
