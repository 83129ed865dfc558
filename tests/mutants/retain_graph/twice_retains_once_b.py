"""One torch.autograd.backward(z, retain_graph=True), as if keeping the graph ran it twice."""
BREAKS = "backward_twice"
MISCONCEPTION = "single_backward"
ALSO = "backward_count_wrong"  # one backward: the count check says so too


def backward_twice(z, x):
    torch.autograd.backward(z, retain_graph=True)
    return x.grad.detach().clone()
