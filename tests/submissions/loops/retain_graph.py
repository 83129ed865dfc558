"""An independent correct submission: retain_graph, with loops."""

import torch


def backward_twice(z, x):
    for _ in range(2):
        z.backward(retain_graph=True)
    return x.grad.clone().detach()


def two_losses_grads(loss1, loss2, W):
    grads = []
    for loss in (loss1, loss2):
        if W.grad is not None:
            W.grad.zero_()
        loss.backward(retain_graph=True)
        grads.append(W.grad.clone().detach())
    return grads[0], grads[1]


def second_derivative(coeffs, x):
    xs = x.clone().detach().requires_grad_(True)
    p = torch.zeros_like(xs)
    for k in range(len(coeffs)):
        p = p + coeffs[k] * xs ** k
    first = torch.autograd.grad(p, xs, grad_outputs=torch.ones_like(p), create_graph=True)[0]
    if first.grad_fn is None:
        return torch.zeros_like(x)
    second = torch.autograd.grad(first, xs, grad_outputs=torch.ones_like(first),
                                 allow_unused=True)[0]
    if second is None:
        return torch.zeros_like(x)
    return second.detach()
