"""Any tensor for which t._is_view() is true is taken to be a non-leaf: a view taken under no_grad, or a detach(), is a leaf."""
BREAKS = "is_leaf"
MISCONCEPTION = "view_not_leaf"


def is_leaf(t):
    if t._is_view():
        return False
    return t.grad_fn is None
