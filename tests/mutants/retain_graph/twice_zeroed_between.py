"""Two backward passes, but x.grad is zeroed between them: it ends at ∂z/∂x, not 2·∂z/∂x."""
BREAKS = "backward_twice"
MISCONCEPTION = "zeroed_between_backwards"


def backward_twice(z, x):
    z.backward(retain_graph=True)
    x.grad.zero_()
    z.backward()
    return x.grad.detach().clone()
