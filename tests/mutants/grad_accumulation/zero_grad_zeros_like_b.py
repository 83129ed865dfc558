"""Assigns torch.zeros_like(p.grad) to the params that have a grad: a new tensor instead of the same one zeroed in place."""
BREAKS = "zero_grad"
MISCONCEPTION = "zero_grad_new_tensor"


def zero_grad(params, set_to_none):
    for p in params:
        if p.grad is not None:
            p.grad = None if set_to_none else torch.zeros_like(p.grad.detach())
