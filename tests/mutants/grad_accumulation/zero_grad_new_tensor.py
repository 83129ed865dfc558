"""Replaces .grad with a new zeros tensor (and gives one to params that had none)."""
BREAKS = "zero_grad"
MISCONCEPTION = "zero_grad_new_tensor"


def zero_grad(params, set_to_none):
    for p in params:
        p.grad = None if set_to_none else torch.zeros_like(p)
