"""Gradients accumulated sample by sample, with the hidden layer treated as linear
(tanh′ left out of the chain rule)."""
BREAKS = "two_layer_grads"
MISCONCEPTION = "tanh_derivative_forgotten"


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    dW1, db1 = torch.zeros_like(W1), torch.zeros_like(b1)
    dW2, db2 = torch.zeros_like(W2), torch.zeros_like(b2)
    for i in range(n):
        h = torch.tanh(W1 @ X[i] + b1)
        e = 2 * (W2 @ h + b2 - y[i]) / n
        dW2 += e * h
        db2 += e
        dW1 += torch.outer(e * W2, X[i])
        db1 += e * W2
    return dW1, db1, dW2, db2
