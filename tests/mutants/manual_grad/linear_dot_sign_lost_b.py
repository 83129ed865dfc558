"""Writes the error as y − ŷ and forgets the minus sign from ∂(y − ŷ)/∂w = −x (dot-product form)."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "flipped_sign"


def linear_mse_grad(x, y, w, b):
    n = x.shape[0]
    err = y - w * x - b
    dw = 2 * torch.dot(err, x) / n
    db = 2 * err.sum() / n
    return dw, db
