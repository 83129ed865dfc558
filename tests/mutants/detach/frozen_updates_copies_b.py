"""Copies both layers, backpropagates and steps every copy in a loop: W1 is updated too."""
BREAKS = "frozen_step"
MISCONCEPTION = "frozen_layer_updated"


def frozen_step(W1, W2, X, y, lr):
    W1n = W1.detach().clone().requires_grad_(True)
    W2n = W2.detach().clone().requires_grad_(True)
    loss = (((X @ W1n.T) @ W2n - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in (W1n, W2n):
            p -= lr * p.grad
    return W1n.detach(), W2n.detach()
