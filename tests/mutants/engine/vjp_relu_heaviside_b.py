"""relu: the gradient mask built with torch.heaviside(x, 1), so at exactly 0 it passes g instead of torch's 0."""
BREAKS = "vjp"
MISCONCEPTION = "relu_grad_at_zero"


def vjp(node, inputs, grad_out):
    if node["op"] == "relu":
        a = inputs[0]
        step = torch.heaviside(a, torch.ones((), dtype=a.dtype, device=a.device))
        return (grad_out * step,)
    return _vjp(node, inputs, grad_out)
