"""Central differences taken along the first axis: x[i] ± eps moves a whole row of a matrix
at once (a vector is right); for a 0-d x, x.shape[0] raises."""
BREAKS = "numerical_grad"
MISCONCEPTION = "rows_perturbed_together"


def numerical_grad(f, x, eps):
    out = torch.empty_like(x)
    for row in range(x.shape[0]):
        plus, minus = x.clone(), x.clone()
        plus[row] = plus[row] + eps
        minus[row] = minus[row] - eps
        out[row] = (f(plus) - f(minus)) / (2 * eps)
    return out
