"""Any reached tensor that requires grad is reported, intermediate nodes included."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "non_leaf_gets_grad"


def leaves_receiving_grad(out, candidates):
    return [c.requires_grad for c in candidates]
