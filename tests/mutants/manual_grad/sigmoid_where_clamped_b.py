"""Computes σ by hand and keeps O inside [1e-3, 1 − 1e-3] with torch.where "to avoid saturation"."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "clamped_output"


def sigmoid_neuron_grad(x, w, t):
    z = torch.dot(x, w)
    o = 1 / (1 + torch.exp(-z))
    eps = 1e-3
    o = torch.where(o < eps, torch.full_like(o, eps), o)
    o = torch.where(o > 1 - eps, torch.full_like(o, 1 - eps), o)
    return (o - t) * o * (1 - o) * x
