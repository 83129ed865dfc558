"""The batch loss as the squared norm of the residual (a sum, never divided by its size)."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "loss_summed_not_averaged"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    starts = list(range(0, len(y), batch_size))
    for _ in range(epochs):
        for s in starts:
            residual = X[s:s + batch_size] @ w + b - y[s:s + batch_size]
            gw, gb = torch.autograd.grad(torch.linalg.vector_norm(residual) ** 2, (w, b))
            with torch.no_grad():
                w.add_(gw, alpha=-lr)
                b.add_(gb, alpha=-lr)
    return w.detach(), b.detach()
