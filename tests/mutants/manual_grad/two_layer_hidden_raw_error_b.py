"""Loops over samples; the hidden layer's delta starts from (ŷ − y), the output's from 2(ŷ − y)/n."""
BREAKS = "two_layer_grads"
MISCONCEPTION = "hidden_layer_missing_loss_factor"


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    dW1, db1 = torch.zeros_like(W1), torch.zeros_like(b1)
    dW2, db2 = torch.zeros_like(W2), torch.zeros_like(b2)
    for i in range(n):
        h = torch.tanh(W1 @ X[i] + b1)
        err = h @ W2 + b2 - y[i]
        dW2 = dW2 + 2 * err / n * h
        db2 = db2 + 2 * err / n
        delta = err * W2 * (1 - h * h)
        dW1 = dW1 + torch.outer(delta, X[i])
        db1 = db1 + delta
    return dW1, db1, dW2, db2
