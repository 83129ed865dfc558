"""SSE written out as a dot product of the residual with itself."""
BREAKS = "gradient_descent"
MISCONCEPTION = "loss_summed_not_averaged"


def gradient_descent(x, y, w0, b0, lr, steps):
    params = [w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)]
    recorded = []
    for _ in range(steps):
        r = params[0] * x + params[1] - y
        sse = torch.dot(r, r)
        recorded.append(sse.detach())
        grads = torch.autograd.grad(sse, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
    return params[0].detach(), params[1].detach(), torch.stack(recorded)
