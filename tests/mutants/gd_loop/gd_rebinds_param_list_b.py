"""Keeps [w, b] in a list and rebuilds it as [p - lr * p.grad ...]: the new tensors are not leaves, so their .grad stays None."""
BREAKS = "gradient_descent"
MISCONCEPTION = "rebinding_loses_leaf"


def gradient_descent(x, y, w0, b0, lr, steps):
    params = [w0.detach().clone().requires_grad_(True), b0.detach().clone().requires_grad_(True)]
    losses = []
    for _ in range(steps):
        w, b = params
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        loss.backward()
        params = [p - lr * p.grad for p in params]
    w, b = params
    return w.detach(), b.detach(), torch.stack(losses)
