"""relu: the gradient passes where x >= 0, so at exactly 0 it is g instead of torch's 0."""
BREAKS = "vjp"
MISCONCEPTION = "relu_grad_at_zero"


def vjp(node, inputs, grad_out):
    if node["op"] == "relu":
        return (grad_out * (inputs[0] >= 0).to(grad_out.dtype),)
    return _vjp(node, inputs, grad_out)
