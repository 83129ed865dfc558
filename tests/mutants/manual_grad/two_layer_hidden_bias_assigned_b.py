"""A loop over the samples that adds up ∂L/∂W1, ∂L/∂W2 and ∂L/∂b2 but assigns ∂L/∂b1: only
the last sample's hidden-bias term is left."""
BREAKS = "two_layer_grads"
MISCONCEPTION = "sum_assigned_not_accumulated"


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    gW1, gb1 = torch.zeros_like(W1), torch.zeros_like(b1)
    gW2, gb2 = torch.zeros_like(W2), torch.zeros_like(b2)
    for i in range(n):
        hidden = torch.tanh(W1 @ X[i] + b1)
        e = 2.0 / n * (hidden @ W2 + b2 - y[i])
        delta = e * W2 * (1 - hidden * hidden)
        gW2 = gW2 + e * hidden
        gb2 = gb2 + e
        gW1 = gW1 + torch.outer(delta, X[i])
        gb1 = delta
    return gW1, gb1, gW2, gb2
