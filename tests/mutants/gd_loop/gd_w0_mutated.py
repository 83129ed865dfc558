"""Trains w0 and b0 themselves (requires_grad_ on the inputs), so the caller's tensors change."""
BREAKS = "gradient_descent"
MISCONCEPTION = "input_mutated"


def gradient_descent(x, y, w0, b0, lr, steps):
    w, b = w0.requires_grad_(True), b0.requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w.detach().clone(), b.detach().clone(), torch.stack(losses)
