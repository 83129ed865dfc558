"""A leaf taken to be a constant: no grad_fn and no requires_grad, so x = torch.ones(3, requires_grad=True) is "not a leaf"."""
BREAKS = "is_leaf"
MISCONCEPTION = "leaf_means_no_grad"


def is_leaf(t):
    return not (t.requires_grad or t.grad_fn is not None)
