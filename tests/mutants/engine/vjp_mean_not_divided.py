"""mean: every element gets grad_out itself, as if it were sum (the 1/n share forgotten)."""
BREAKS = "vjp"
MISCONCEPTION = "mean_grad_not_divided"


def vjp(node, inputs, grad_out):
    if node["op"] == "mean":
        return (grad_out.expand(inputs[0].shape).clone(),)
    return _vjp(node, inputs, grad_out)
