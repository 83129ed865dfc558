"""vjp reuses grad_out as scratch space and zeroes it in place: the caller's upstream gradient is gone."""
BREAKS = "vjp"
MISCONCEPTION = "input_mutated"


def vjp(node, inputs, grad_out):
    result = tuple(None if r is None else r.clone() for r in _vjp(node, inputs, grad_out))
    grad_out.zero_()
    return result
