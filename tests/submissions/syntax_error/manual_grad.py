import torch


def linear_mse_grad(x, y, w, b):
    residual = w * x + b - y
    return (2 * residual * x).mean(), (2 * residual).mean(


def sigmoid_neuron_grad(x, w, t):
    return x
