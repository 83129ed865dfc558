"""Treats every view (indexing, .view, .detach()) as a non-leaf because it has a _base or
shares storage; a view taken under no_grad, or a detach(), is a leaf.
"""
BREAKS = "is_leaf"
MISCONCEPTION = "view_not_leaf"

def is_leaf(t):
    if t._base is not None:
        return False
    return t.grad_fn is None
