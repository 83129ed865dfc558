"""The loss itself used as the step direction instead of its gradient."""
BREAKS = "gradient_descent"
MISCONCEPTION = "loss_as_gradient"
ALSO = "closed_form_gradients"  # no autograd runs at all: the rule check says so too


def gradient_descent(x, y, w0, b0, lr, steps):
    w, b = w0.clone(), b0.clone()
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss)
        w = w - lr * loss
        b = b - lr * loss
    return w, b, torch.stack(losses)
