"""Takes gradients with autograd.grad, steps, then records a fresh loss: each entry is the loss after its update."""
BREAKS = "gradient_descent"
MISCONCEPTION = "loss_recorded_after_update"


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)

    def mse():
        return torch.mean(torch.square(w * x + b - y))

    losses = []
    for _ in range(steps):
        gw, gb = torch.autograd.grad(mse(), (w, b))
        with torch.no_grad():
            w.sub_(lr * gw)
            b.sub_(lr * gb)
            losses.append(mse())
    return w.detach(), b.detach(), torch.stack(losses)
