"""Keeps W.grad itself as the first gradient, then zeroes it in place: both answers are the second."""
BREAKS = "two_losses_grads"
MISCONCEPTION = "grad_aliased"


def two_losses_grads(loss1, loss2, W):
    loss1.backward(retain_graph=True)
    g1 = W.grad
    W.grad.zero_()
    loss2.backward()
    return g1, W.grad
