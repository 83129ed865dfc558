"""The sigmoid neuron's gradient taken with torch.func.grad instead of the chain rule by hand."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "autograd_in_manual"

from torch.func import grad


def sigmoid_neuron_grad(x, w, t):
    def error(v):
        return 0.5 * (torch.sigmoid((x * v).sum()) - t) ** 2
    return grad(error)(w)
