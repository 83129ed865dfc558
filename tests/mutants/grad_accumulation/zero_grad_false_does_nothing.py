"""set_to_none=False read as "leave the gradients alone" (so a .grad with a graph keeps it too)."""
BREAKS = "zero_grad"
MISCONCEPTION = "zero_grad_flag_ignored"
ALSO = "zero_grad_keeps_graph"


def zero_grad(params, set_to_none):
    if not set_to_none:
        return
    for p in params:
        p.grad = None
