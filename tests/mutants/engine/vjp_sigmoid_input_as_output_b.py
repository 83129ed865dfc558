"""sigmoid: takes inputs[0] to be σ(x) and returns g·(s − s²), which is x − x² of the input."""
BREAKS = "vjp"
MISCONCEPTION = "sigmoid_derivative_from_input"


def vjp(node, inputs, grad_out):
    if node["op"] != "sigmoid":
        return _vjp(node, inputs, grad_out)
    (s,) = inputs
    return (torch.mul(grad_out, s - s.pow(2)),)
