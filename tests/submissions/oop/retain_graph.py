"""保留计算图 — object-oriented style."""
import torch


class GradSnapshot:
    """Context manager: clear a leaf's .grad on entry, keep a copy on exit."""

    def __init__(self, leaf):
        self.leaf = leaf
        self.value = None

    def __enter__(self):
        self.leaf.grad = None
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.value = self.leaf.grad.detach().clone()
        return False


def backward_twice(z, x):
    for keep in (True, False):
        z.backward(retain_graph=keep)
    return x.grad.detach().clone()


def two_losses_grads(loss1, loss2, W):
    with GradSnapshot(W) as s1:
        loss1.backward(retain_graph=True)
    with GradSnapshot(W) as s2:
        loss2.backward()
    return s1.value, s2.value


class Polynomial:
    def __init__(self, coeffs):
        self.coeffs = coeffs.detach()

    def __call__(self, x):
        total = torch.zeros_like(x) + self.coeffs[0]
        for k in range(1, self.coeffs.shape[0]):
            total = total + self.coeffs[k] * x ** k
        return total

    def derivative_at(self, x, order):
        x = x.detach().clone().requires_grad_(True)
        value = self(x)
        for _ in range(order):
            if not value.requires_grad:
                return torch.zeros_like(x).detach()
            (value,) = torch.autograd.grad(value.sum(), x, create_graph=True)
        return value.detach()


def second_derivative(coeffs, x):
    return Polynomial(coeffs).derivative_at(x, 2)
