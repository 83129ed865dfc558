"""Runs out.backward() and looks, instead of walking the graph."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "ran_backward_to_look"


import warnings


def leaves_receiving_grad(out, candidates):
    out.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [c.grad is not None for c in candidates]
