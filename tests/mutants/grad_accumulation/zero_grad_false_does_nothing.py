"""set_to_none=False read as "leave the gradients alone"."""
BREAKS = "zero_grad"
MISCONCEPTION = "zero_grad_flag_ignored"


def zero_grad(params, set_to_none):
    if not set_to_none:
        return
    for p in params:
        p.grad = None
