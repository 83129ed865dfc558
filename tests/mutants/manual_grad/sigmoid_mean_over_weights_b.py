"""Each weight's share: (O − t) σ′ x averaged over the d weights."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "divided_by_d"


def sigmoid_neuron_grad(x, w, t):
    d = w.numel()
    out = torch.sigmoid(x @ w)
    delta = (out - t) * out * (1.0 - out)
    return delta * x / d
