"""pow: d/dx x**k written as k * x**k (the exponent not lowered)."""
BREAKS = "vjp"
MISCONCEPTION = "pow_off_by_one"


def vjp(node, inputs, grad_out):
    if node["op"] == "pow":
        k = node["k"]
        return (grad_out * k * inputs[0] ** k,)
    return _vjp(node, inputs, grad_out)
