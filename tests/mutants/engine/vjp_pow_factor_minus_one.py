"""pow: the factor is k - 1 instead of k: (k - 1) * x**(k - 1)."""
BREAKS = "vjp"
MISCONCEPTION = "pow_off_by_one"


def vjp(node, inputs, grad_out):
    if node["op"] != "pow":
        return _vjp(node, inputs, grad_out)
    k = int(node["k"])
    (x,) = inputs
    return (grad_out * (k - 1) * x ** (k - 1),)
