"""tanh: 1 − x² of the node's input where the rule needs its output y = tanh(x)."""
BREAKS = "vjp"
MISCONCEPTION = "tanh_derivative_from_input"


def vjp(node, inputs, grad_out):
    if node["op"] == "tanh":
        x = inputs[0]
        return (grad_out * (1.0 - x.pow(2)),)
    return _vjp(node, inputs, grad_out)
