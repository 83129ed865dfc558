"""sub: both inputs get +grad_out (the minus sign of a − b forgotten for b)."""
BREAKS = "vjp"
MISCONCEPTION = "vjp_sign_dropped"


def vjp(node, inputs, grad_out):
    if node["op"] == "sub":
        return tuple(_unbroadcast(grad_out, x.shape) for x in inputs)
    return _vjp(node, inputs, grad_out)
