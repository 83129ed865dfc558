"""Steps with sub_ under no_grad but never clears .grad: each step uses the sum of all gradients so far."""
BREAKS = "gradient_descent"
MISCONCEPTION = "grad_not_zeroed"


def gradient_descent(x, y, w0, b0, lr, steps):
    w = w0.clone().detach().requires_grad_()
    b = b0.clone().detach().requires_grad_()
    history = []
    for _ in range(steps):
        loss = torch.mean(torch.square(w * x + b - y))
        history.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
            b.sub_(lr * b.grad)
    return w.detach(), b.detach(), torch.tensor(history, dtype=x.dtype, device=x.device)
