"""torch.optim.Adam does the updates where they must be written by hand."""
BREAKS = "gradient_descent"
MISCONCEPTION = "optim_used"

from torch import optim


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    opt = optim.Adam([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        loss.backward()
        opt.step()
    return w.detach(), b.detach(), torch.stack(losses)
