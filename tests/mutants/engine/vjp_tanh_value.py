"""tanh: the derivative taken as the node's own value tanh(x)."""
BREAKS = "vjp"
MISCONCEPTION = "tanh_derivative_as_tanh"


def vjp(node, inputs, grad_out):
    if node["op"] == "tanh":
        return (grad_out * node["value"],)
    return _vjp(node, inputs, grad_out)
