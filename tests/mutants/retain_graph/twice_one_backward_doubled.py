"""Runs backward once and doubles x.grad by hand: the right numbers from one backward pass."""
BREAKS = "backward_twice"
MISCONCEPTION = "backward_count_wrong"


def backward_twice(z, x):
    z.backward()
    x.grad.mul_(2)
    return x.grad.detach().clone()
