"""torch.optim.SGD used where the update must be written by hand."""
BREAKS = "gradient_descent"
MISCONCEPTION = "optim_used"


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    opt = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return w.detach(), b.detach(), torch.stack(losses)
