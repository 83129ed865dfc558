"""Two backward calls without retain_graph=True: the second one raises."""
BREAKS = "backward_twice"
MISCONCEPTION = "graph_freed"


def backward_twice(z, x):
    z.backward()
    z.backward()
    return x.grad.detach().clone()
