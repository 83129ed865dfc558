"""Reports every candidate with is_leaf and requires_grad, reached by out's graph or not."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "unused_leaf_gets_grad"


def leaves_receiving_grad(out, candidates):
    result = []
    for c in candidates:
        result.append(bool(c.is_leaf and c.requires_grad))
    return result
