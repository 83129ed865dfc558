"""A real student's loop: w.zero_() where w.grad.zero_() belongs."""
BREAKS = "gradient_descent"
MISCONCEPTION = "weights_zeroed"


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.zero_()
            b.zero_()
    return w.detach(), b.detach(), torch.stack(losses)
