"""is_leaf taken to mean "does not require grad": a created tensor with requires_grad=True is a leaf too."""
BREAKS = "is_leaf"
MISCONCEPTION = "leaf_means_no_grad"


def is_leaf(t):
    return not t.requires_grad
