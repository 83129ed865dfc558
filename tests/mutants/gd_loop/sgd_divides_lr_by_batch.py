"""A real student's loop: the mean loss, then a learning rate divided by the batch size
as well (averaging twice)."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "mean_divided_twice"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w = w0.detach().clone().requires_grad_(True)
    b = b0.detach().clone().requires_grad_(True)
    for _ in range(epochs):
        for Xb, yb in zip(X.split(batch_size), y.split(batch_size)):
            step = lr / Xb.shape[0]
            loss = torch.nn.functional.mse_loss(Xb @ w + b, yb)
            gw, gb = torch.autograd.grad(loss, (w, b))
            with torch.no_grad():
                w.sub_(step * gw)
                b.sub_(step * gb)
    return w.detach(), b.detach()
