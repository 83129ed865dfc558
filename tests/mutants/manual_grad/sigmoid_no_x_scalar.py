"""The sigmoid neuron's gradient without the factor x: one number for every weight."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "sigmoid_missing_x"


def sigmoid_neuron_grad(x, w, t):
    o = torch.sigmoid(x @ w)
    return (o - t) * o * (1 - o) * torch.ones_like(w)
