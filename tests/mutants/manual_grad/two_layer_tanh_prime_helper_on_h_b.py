"""A helper dtanh(v) = 1 - tanh(v)**2, right itself, called with the activation h."""
BREAKS = "two_layer_grads"
MISCONCEPTION = "tanh_prime_at_output"


def _dtanh(v):
    return 1 - torch.tanh(v) ** 2


def two_layer_grads(X, y, W1, b1, W2, b2):
    hidden = torch.tanh(X @ W1.T + b1)
    err = hidden @ W2 + b2 - y
    dy = 2.0 * err / len(y)
    dW2 = hidden.T @ dy
    db2 = dy.sum()
    dz = torch.outer(dy, W2) * _dtanh(hidden)
    return dz.T @ X, dz.sum(dim=0), dW2, db2
