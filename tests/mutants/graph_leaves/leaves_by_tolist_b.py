"""Walks the graph recursively, then matches candidates to the reached leaves by comparing .tolist() values."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "leaf_matched_by_value"


def leaves_receiving_grad(out, candidates):
    values, visited = [], set()

    def walk(fn):
        if fn is None or fn in visited:
            return
        visited.add(fn)
        leaf = getattr(fn, "variable", None)
        if leaf is not None:
            values.append(leaf.detach().cpu().tolist())
        for parent, _ in fn.next_functions:
            walk(parent)

    walk(out.grad_fn)
    return [c.detach().cpu().tolist() in values for c in candidates]
