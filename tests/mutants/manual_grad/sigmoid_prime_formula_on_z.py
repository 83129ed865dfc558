"""σ′ written as s(1 − s) with s = z, the pre-activation, instead of O = σ(z)."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "sigma_prime_formula_on_z"


def sigmoid_neuron_grad(x, w, t):
    z = (x * w).sum()
    o = torch.sigmoid(z)
    return (o - t) * z * (1 - z) * x
