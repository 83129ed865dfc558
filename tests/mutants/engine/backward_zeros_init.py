"""backward starts every grad-requiring leaf at zeros, so leaves no gradient reaches return zeros, not None."""
BREAKS = "backward"
MISCONCEPTION = "zeros_instead_of_none"

_right_backward = backward  # the correct walk defined above; only the result is changed


def backward(nodes, root, grad_root):
    out = [torch.zeros_like(n["value"]) if n["op"] == "leaf" and n["requires_grad"] else None
           for n in nodes]
    for i, g in enumerate(_right_backward(nodes, root, grad_root)):
        if g is not None:
            out[i] = out[i] + g
    return out
