"""Always sets .grad to None, whatever set_to_none says."""
BREAKS = "zero_grad"
MISCONCEPTION = "zero_grad_flag_ignored"


def zero_grad(params, set_to_none):
    for p in params:
        p.grad = None
