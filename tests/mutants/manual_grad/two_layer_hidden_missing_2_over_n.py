"""The first layer gets the raw residual: its gradients lack the loss's 2/n."""
BREAKS = "two_layer_grads"
MISCONCEPTION = "hidden_layer_missing_loss_factor"


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    h = torch.tanh(X @ W1.T + b1)
    r = h @ W2 + b2 - y
    g = 2 * r / n
    d_pre = r[:, None] * W2[None, :] * (1 - h ** 2)
    return d_pre.T @ X, d_pre.sum(0), h.T @ g, g.sum()
