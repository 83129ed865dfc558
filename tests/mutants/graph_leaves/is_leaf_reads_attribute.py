"""Reads t.is_leaf instead of working it out from grad_fn."""
BREAKS = "is_leaf"
MISCONCEPTION = "read_is_leaf"


def is_leaf(t):
    return bool(t.is_leaf)
