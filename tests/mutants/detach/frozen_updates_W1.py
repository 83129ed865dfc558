"""Updates both layers: W1 is not frozen."""
BREAKS = "frozen_step"
MISCONCEPTION = "frozen_layer_updated"


def frozen_step(W1, W2, X, y, lr):
    loss = (((X @ W1.T) @ W2 - y) ** 2).mean()
    g1, g2 = torch.autograd.grad(loss, (W1, W2))
    return (W1 - lr * g1).detach(), (W2 - lr * g2).detach()
