"""Loops over the two losses, copying W.grad after each backward, with no reset in between."""
BREAKS = "two_losses_grads"
MISCONCEPTION = "grads_accumulated"


def two_losses_grads(loss1, loss2, W):
    grads = []
    for i, loss in enumerate((loss1, loss2)):
        loss.backward(retain_graph=(i == 0))
        grads.append(W.grad.clone())
    return tuple(grads)
