"""numerical_grad moves each element of one working copy up, then down, and never puts
it back: x is untouched, but each later difference is taken with earlier elements at −eps."""
BREAKS = "numerical_grad"
MISCONCEPTION = "perturbation_not_restored"


def numerical_grad(f, x, eps):
    work = x.detach().clone().reshape(-1)
    grad = torch.zeros_like(work)
    for i in range(work.numel()):
        work[i] += eps
        up = f(work.reshape(x.shape))
        work[i] -= 2 * eps
        down = f(work.reshape(x.shape))
        grad[i] = (up - down) / (2 * eps)
    return grad.reshape(x.shape)
