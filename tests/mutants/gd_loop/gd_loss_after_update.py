"""The loss is recorded after the update instead of before it."""
BREAKS = "gradient_descent"
MISCONCEPTION = "loss_recorded_after_update"


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            losses.append(((w * x + b - y) ** 2).mean())
        w.grad.zero_()
        b.grad.zero_()
    return w.detach(), b.detach(), torch.stack(losses)
