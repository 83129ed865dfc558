"""The update rebinds w and b inside torch.no_grad(): the new tensors need no grad at all, so
the next loss.backward() raises (the loss does not require grad)."""
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
        with torch.no_grad():
            w = w - lr * w.grad
            b = b - lr * b.grad
    return w.detach(), b.detach(), torch.stack(losses)
