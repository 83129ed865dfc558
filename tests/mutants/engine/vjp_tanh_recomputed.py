"""tanh: recomputes torch.tanh of the input and uses it as the derivative."""
BREAKS = "vjp"
MISCONCEPTION = "tanh_derivative_as_tanh"


def vjp(node, inputs, grad_out):
    op = node["op"]
    if op != "tanh":
        return _vjp(node, inputs, grad_out)
    derivative = torch.tanh(inputs[0])
    return (derivative * grad_out,)
