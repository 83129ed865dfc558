"""The update w -= lr * w.grad written without torch.no_grad(): autograd raises
"a leaf Variable that requires grad is being used in an in-place operation"."""
BREAKS = "gradient_descent"
MISCONCEPTION = "inplace_leaf_update"


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        loss.backward()
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w.detach(), b.detach(), torch.stack(losses)
