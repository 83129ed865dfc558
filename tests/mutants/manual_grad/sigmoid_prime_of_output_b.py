"""σ′(u) = e^(−u)/(1 + e^(−u))² written out, but evaluated at u = O instead of at z."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "derivative_wrong_point"


def sigmoid_neuron_grad(x, w, t):
    z = x @ w
    o = torch.sigmoid(z)
    e = torch.exp(-o)
    d_sigma = e / (1 + e) ** 2
    return (o - t) * d_sigma * x
