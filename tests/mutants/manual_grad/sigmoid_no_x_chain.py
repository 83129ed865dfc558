"""dE/dO · dO/dz written out, then stopped before dz/dw = x."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "sigmoid_missing_x"


def sigmoid_neuron_grad(x, w, t):
    z = (x * w).sum()
    out = 1 / (1 + torch.exp(-z))
    dE_dO = out - t
    dO_dz = out * (1 - out)
    return torch.stack([dE_dO * dO_dz for _ in range(len(w))])
