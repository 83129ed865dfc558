"""Gets the answer with getattr(t, "is_leaf", ...) instead of working it out."""
BREAKS = "is_leaf"
MISCONCEPTION = "read_is_leaf"


def is_leaf(t):
    return getattr(t, "is_leaf", t.grad_fn is None)
