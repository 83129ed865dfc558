"""∂L/∂W1 computed as Xᵀ·δ, the transpose of the right (k, d) matrix."""
BREAKS = "two_layer_grads"
MISCONCEPTION = "transposed"


def two_layer_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    h = torch.tanh(X @ W1.T + b1)
    d_yhat = 2 * (h @ W2 + b2 - y) / n
    d_pre = d_yhat[:, None] * W2[None, :] * (1 - h ** 2)
    return X.T @ d_pre, d_pre.sum(0), h.T @ d_yhat, d_yhat.sum()
