"""The graph is right (b detached), but zeros are returned in place of b.grad's None."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "zeros_returned_for_none"


def stop_gradient_grads(a, b):
    loss = ((a - b.detach()) ** 2).mean()
    loss.backward()
    b_grad = b.grad if b.grad is not None else torch.zeros_like(b)
    return a.grad.detach().clone(), b_grad
