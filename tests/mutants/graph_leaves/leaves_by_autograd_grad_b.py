"""Asks torch.autograd.grad(out, leaves, allow_unused=True) which leaves get a gradient, instead of walking the graph."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "ran_backward_to_look"


def leaves_receiving_grad(out, candidates):
    result = [False] * len(candidates)
    idx = [i for i, c in enumerate(candidates) if c.requires_grad and c.grad_fn is None]
    if idx:
        grads = torch.autograd.grad(out, [candidates[i] for i in idx],
                                    retain_graph=True, allow_unused=True)
        for i, g in zip(idx, grads):
            result[i] = g is not None
    return result
