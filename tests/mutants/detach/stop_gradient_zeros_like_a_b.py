"""A constant target b.detach(), then "no gradient" reported as a zero tensor."""
BREAKS = "stop_gradient_grads"
MISCONCEPTION = "zeros_returned_for_none"


def stop_gradient_grads(a, b):
    target = b.detach()
    diff = a - target
    (diff * diff).mean().backward()
    return a.grad.clone(), torch.zeros_like(a.grad)
