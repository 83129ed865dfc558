"""Calls backward once and returns x.grad: the second pass is missing."""
BREAKS = "backward_twice"
MISCONCEPTION = "single_backward"
ALSO = "backward_count_wrong"  # one backward: the count check says so too


def backward_twice(z, x):
    z.backward()
    return x.grad.detach().clone()
