"""σ′(z) written as σ(z)."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "activation_for_derivative"


def sigmoid_neuron_grad(x, w, t):
    o = torch.sigmoid((x * w).sum())
    return (o - t) * o * x
