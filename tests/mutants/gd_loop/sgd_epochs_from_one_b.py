"""Epochs counted from 1 (range(1, epochs)): one pass too few."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "epochs_off_by_one"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    for epoch in range(1, epochs):
        for s in range(0, len(y), batch_size):
            loss = torch.mean((X[s:s + batch_size] @ w + b - y[s:s + batch_size]) ** 2)
            gw, gb = torch.autograd.grad(loss, (w, b))
            with torch.no_grad():
                w.add_(gw, alpha=-lr)
                b.add_(gb, alpha=-lr)
    return w.detach(), b.detach()
