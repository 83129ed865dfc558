"""Every leaf that requires grad is reported, reached by the graph or not."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "unused_leaf_gets_grad"


def leaves_receiving_grad(out, candidates):
    return [c.requires_grad and c.grad_fn is None for c in candidates]
