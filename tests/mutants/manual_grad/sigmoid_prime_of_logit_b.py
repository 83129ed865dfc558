"""dσ/dz computed from the logit: a helper sig_prime(v) = v * (1 - v) called with z."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "sigma_prime_formula_on_z"


def _sig_prime(v):
    return v * (1 - v)


def sigmoid_neuron_grad(x, w, t):
    z = torch.dot(x, w)
    err = torch.sigmoid(z) - t
    return torch.stack([err * _sig_prime(z) * xi for xi in x])
