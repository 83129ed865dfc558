"""vjp treats detach like the identity: returns (grad_out,) instead of (None,)."""
BREAKS = "vjp"
MISCONCEPTION = "grad_through_detach"


def vjp(node, inputs, grad_out):
    if node["op"] == "detach":
        return (grad_out.clone(),)
    return _vjp(node, inputs, grad_out)
