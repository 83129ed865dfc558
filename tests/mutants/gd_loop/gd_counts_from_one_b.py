"""Counts the steps from 1 to steps − 1 (range(1, steps)): one update too few."""
BREAKS = "gradient_descent"
MISCONCEPTION = "steps_off_by_one"


def gradient_descent(x, y, w0, b0, lr, steps):
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    history = []
    for step in range(1, steps):
        loss = torch.mean((w * x + b - y) ** 2)
        history.append(loss.item())
        gw, gb = torch.autograd.grad(loss, [w, b])
        with torch.no_grad():
            w.sub_(lr * gw)
            b.sub_(lr * gb)
    return w.detach(), b.detach(), torch.tensor(history, dtype=x.dtype, device=x.device)
