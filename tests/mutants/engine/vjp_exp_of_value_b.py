"""exp: applies exp again to the node's own value (already exp(x)), so the derivative is
taken at the output: exp(exp(x)) instead of exp(x)."""
BREAKS = "vjp"
MISCONCEPTION = "derivative_of_output"


def vjp(node, inputs, grad_out):
    if node["op"] != "exp":
        return _vjp(node, inputs, grad_out)
    return (grad_out * torch.exp(node["value"]),)
