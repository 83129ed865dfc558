"""A real student's loop: the loss value itself subtracted from the parameters, in place
under no_grad, as if it were the gradient."""
BREAKS = "gradient_descent"
MISCONCEPTION = "loss_as_gradient"
ALSO = "closed_form_gradients"  # no autograd runs at all: the rule check says so too


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    history = []
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        history.append(loss.item())
        with torch.no_grad():
            w -= lr * loss
            b -= lr * loss
    return w.detach(), b.detach(), torch.tensor(history, dtype=x.dtype, device=x.device)
