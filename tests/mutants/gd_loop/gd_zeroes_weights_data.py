"""Clearing through .data, but the parameters instead of their gradients."""
BREAKS = "gradient_descent"
MISCONCEPTION = "weights_zeroed"


def gradient_descent(x, y, w0, b0, lr, steps):
    params = [w0.detach().clone().requires_grad_(True), b0.detach().clone().requires_grad_(True)]
    losses = []
    for _ in range(steps):
        w, b = params
        loss = (w * x + b - y).pow(2).mean()
        losses.append(loss.detach().clone())
        loss.backward()
        for p in params:
            p.data -= lr * p.grad.data
            p.data.zero_()
    return params[0].detach(), params[1].detach(), torch.stack(losses)
