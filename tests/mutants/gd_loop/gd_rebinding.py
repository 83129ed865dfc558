"""w = w - lr * w.grad rebinds w to a new non-leaf tensor: the next backward leaves its .grad None."""
BREAKS = "gradient_descent"
MISCONCEPTION = "rebinding_loses_leaf"


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        loss.backward()
        w = w - lr * w.grad
        b = b - lr * b.grad
    return w.detach(), b.detach(), torch.stack(losses)
