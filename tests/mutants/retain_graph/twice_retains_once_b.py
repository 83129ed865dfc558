"""One torch.autograd.backward(z, retain_graph=True), as if keeping the graph ran it twice."""
BREAKS = "backward_twice"
MISCONCEPTION = "single_backward"


def backward_twice(z, x):
    torch.autograd.backward(z, retain_graph=True)
    return x.grad.detach().clone()
