"""sigmoid: σ′ computed as x(1 − x) from the input instead of y(1 − y) from the output."""
BREAKS = "vjp"
MISCONCEPTION = "sigmoid_derivative_from_input"


def vjp(node, inputs, grad_out):
    if node["op"] == "sigmoid":
        x = inputs[0]
        return (grad_out * x * (1 - x),)
    return _vjp(node, inputs, grad_out)
