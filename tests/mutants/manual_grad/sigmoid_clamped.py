"""Clamps the sigmoid's output to [1e-3, 1 - 1e-3] "for stability": tiny gradients come out wrong."""
BREAKS = "sigmoid_neuron_grad"
MISCONCEPTION = "clamped_output"

import torch


def sigmoid_neuron_grad(x, w, t):
    o = torch.sigmoid((x * w).sum()).clamp(1e-3, 1 - 1e-3)
    return (o - t) * o * (1 - o) * x
