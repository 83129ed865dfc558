"""The gradient divided by d, as if E were a mean over the weights."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "divided_by_d"


def sigmoid_neuron_grad(x, w, t):
    o = torch.sigmoid((x * w).sum())
    return (o - t) * o * (1 - o) * x / x.shape[0]
