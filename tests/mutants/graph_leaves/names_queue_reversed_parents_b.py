"""A queue (breadth-first, each node once) that takes each node's parents from the end of
next_functions first: the levels are right, the order inside a level is reversed."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "next_functions_reversed"


def grad_fn_names(t):
    from collections import deque
    if t.grad_fn is None:
        return []
    out, known, pending = [], {t.grad_fn}, deque([t.grad_fn])
    while pending:
        fn = pending.popleft()
        out.append(fn.name())
        for nxt, _slot in reversed(fn.next_functions):
            if nxt is not None and nxt not in known:
                known.add(nxt)
                pending.append(nxt)
    return out
