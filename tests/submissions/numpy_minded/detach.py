"""detach 与 no_grad — numpy-minded style."""
import torch


def stop_gradient_grads(a, b):
    d = a - b.detach()
    loss = torch.einsum("...,...->", d, d) / d.numel()
    loss.backward()
    return a.grad.detach().clone(), b.grad


def straight_through_round(x):
    # value: x + (round(x) − x) == round(x) exactly (the difference is exact);
    # gradient: only the first x carries one → identity.
    return x + (torch.round(x) - x).detach()


def predict(w, b, x):
    with torch.no_grad():
        return torch.addcmul(b.expand_as(x), w.expand_as(x), x)


def frozen_step(W1, W2, X, y, lr):
    H = torch.einsum("nd,kd->nk", X, W1.detach())     # W1 frozen: no path to it
    r = torch.einsum("nk,k->n", H, W2) - y
    loss = torch.einsum("n,n->", r, r) / r.shape[0]
    (g,) = torch.autograd.grad(loss, W2)
    with torch.no_grad():
        new_W2 = W2 - lr * g
    return W1.detach().clone(), new_W2
