"""σ′ evaluated at the output O instead of at the pre-activation z."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "derivative_wrong_point"


def sigmoid_neuron_grad(x, w, t):
    o = torch.sigmoid((x * w).sum())
    s = torch.sigmoid(o)
    return (o - t) * s * (1 - s) * x
