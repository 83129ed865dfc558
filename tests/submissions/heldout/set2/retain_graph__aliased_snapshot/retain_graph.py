"""Calling backward more than once."""
import torch


def backward_twice(z, x):
    for i in range(2):
        z.backward(retain_graph=(i == 0))
    return x.grad.clone()


def two_losses_grads(loss1, loss2, W):
    grads = []
    for j, loss in enumerate((loss1, loss2)):
        if W.grad is not None:
            W.grad.zero_()
        loss.backward(retain_graph=(j == 0))
        grads.append(W.grad)
    return grads[0], grads[1]


def second_derivative(coeffs, x):
    t = x.detach().clone().requires_grad_()
    # Horner's rule: p = (((c[K-1]) x + c[K-2]) x + ...) x + c[0]
    K = coeffs.shape[0]
    p = coeffs[K - 1].detach() * torch.ones_like(t)
    for k in range(K - 2, -1, -1):
        p = p * t + coeffs[k].detach()
    if not p.requires_grad:
        return torch.zeros_like(x)
    d1 = torch.autograd.grad(p, t, grad_outputs=torch.ones_like(p), create_graph=True)[0]
    if not d1.requires_grad:
        return torch.zeros_like(x)
    d2 = torch.autograd.grad(d1, t, grad_outputs=torch.ones_like(d1))[0]
    return d2.detach()
