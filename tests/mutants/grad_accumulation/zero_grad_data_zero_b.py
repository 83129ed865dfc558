"""Zeroes through .grad.data.zero_(): the values go to 0, but a grad built with create_graph=True keeps its grad_fn."""
BREAKS = "zero_grad"
MISCONCEPTION = "zero_grad_keeps_graph"


def zero_grad(params, set_to_none):
    for p in params:
        g = p.grad
        if g is None:
            continue
        if set_to_none:
            p.grad = None
            continue
        g.data.zero_()
