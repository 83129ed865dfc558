"""retain_grad() asked for once the gradient has already flowed (after torch.autograd.backward)."""
BREAKS = "intermediate_grad"
MISCONCEPTION = "retain_grad_missing"


def intermediate_grad(x):
    y = x.pow(2)
    torch.autograd.backward(y.pow(2).sum())
    y.retain_grad()          # too late: nothing is kept for y any more
    return x.grad.clone(), y.grad
