"""mean: the upstream gradient divided by the size of the last dimension, not by numel."""
BREAKS = "vjp"
MISCONCEPTION = "mean_grad_not_divided"


def vjp(node, inputs, grad_out):
    if node["op"] == "mean":
        a = inputs[0]
        n = a.shape[-1] if a.dim() else 1
        return (torch.ones_like(a) * grad_out / n,)
    return _vjp(node, inputs, grad_out)
