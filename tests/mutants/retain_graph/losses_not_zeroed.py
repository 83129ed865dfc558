"""No zeroing between the two losses: the second gradient holds both."""
BREAKS = "two_losses_grads"
MISCONCEPTION = "grads_accumulated"


def two_losses_grads(loss1, loss2, W):
    loss1.backward(retain_graph=True)
    g1 = W.grad.detach().clone()
    loss2.backward()
    return g1, W.grad.detach().clone()
