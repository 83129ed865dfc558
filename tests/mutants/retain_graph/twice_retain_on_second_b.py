"""Puts retain_graph=True on the second backward instead of the first: the first one already freed the graph."""
BREAKS = "backward_twice"
MISCONCEPTION = "graph_freed"


def backward_twice(z, x):
    z.backward()
    z.backward(retain_graph=True)
    return x.grad.clone()
