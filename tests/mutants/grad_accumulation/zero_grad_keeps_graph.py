"""Zeroes in place but never detaches: a grad from create_graph=True keeps its grad_fn."""
BREAKS = "zero_grad"
MISCONCEPTION = "zero_grad_keeps_graph"


def zero_grad(params, set_to_none):
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            with torch.no_grad():
                p.grad.zero_()
