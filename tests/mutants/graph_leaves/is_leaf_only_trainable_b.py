"""Counts a tensor as a leaf only when it is trainable (requires grad) and was not made by
an op: a constant, or a detach()ed tensor, is answered False."""
BREAKS = "is_leaf"
MISCONCEPTION = "leaf_needs_requires_grad"


def is_leaf(t):
    if not t.requires_grad:
        return False
    return t.grad_fn is None
