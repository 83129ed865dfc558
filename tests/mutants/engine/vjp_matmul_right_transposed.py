"""matmul: the gradient of B taken as Gᵀ @ A, the transpose of Aᵀ @ G."""
BREAKS = "vjp"
MISCONCEPTION = "matmul_wrong_side"


def vjp(node, inputs, grad_out):
    op = node["op"]
    if op == "matmul" and inputs[1].dim() == 2:
        left, right = inputs
        return grad_out @ right.transpose(0, 1), grad_out.transpose(0, 1) @ left
    return _vjp(node, inputs, grad_out)
