"""∂L/∂W1 from einsum "nd,nk->dk": a (d, k) matrix, the transpose of W1's shape."""
BREAKS = "two_layer_grads"
MISCONCEPTION = "transposed"


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    pre = torch.matmul(X, W1.t()) + b1
    h = torch.tanh(pre)
    dy = 2.0 * (torch.matmul(h, W2) + b2 - y) / n
    dpre = torch.outer(dy, W2) * (1 - h * h)
    dW1 = torch.einsum("nd,nk->dk", X, dpre)
    return dW1, dpre.sum(dim=0), torch.einsum("nk,n->k", h, dy), dy.sum()
