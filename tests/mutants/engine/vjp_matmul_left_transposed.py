"""matmul: the gradient of A is computed as B @ Gᵀ (A's gradient transposed)."""
BREAKS = "vjp"
MISCONCEPTION = "matmul_wrong_side"


def vjp(node, inputs, grad_out):
    if node["op"] != "matmul":
        return _vjp(node, inputs, grad_out)
    A, B = inputs
    if B.dim() == 1:
        return torch.outer(B, grad_out), A.t() @ grad_out
    return B @ grad_out.t(), A.t() @ grad_out
