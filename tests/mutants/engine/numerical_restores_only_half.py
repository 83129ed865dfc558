"""numerical_grad on x in place through a loop of index tuples, restoring only the +eps
step: every element ends eps below where it started."""
BREAKS = "numerical_grad"
MISCONCEPTION = "input_mutated"
ALSO = "perturbation_not_restored"
import itertools


def numerical_grad(f, x, eps):
    out = torch.zeros_like(x)
    with torch.no_grad():
        for index in itertools.product(*[range(n) for n in x.shape]):
            old = x[index].item()
            x[index] = old + eps
            up = f(x).item()
            x[index] = old - eps
            down = f(x).item()
            out[index] = (up - down) / (2 * eps)
    return out
