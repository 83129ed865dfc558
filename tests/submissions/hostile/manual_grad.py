# Misbehaving code: each function attacks the grading run differently.
import os
import sys

import torch


def linear_mse_grad(x, y, w, b):
    while True:  # hangs
        pass


def sigmoid_neuron_grad(x, w, t):
    os._exit(3)  # kills its own process


def matrix_mse_grad(X, y, w):
    for _ in range(200_000):
        print("x" * 100)  # prints megabytes
    return X.T @ (X @ w - y) / X.shape[0]


def two_layer_grads(X, y, W1, b1, W2, b2):
    sys.exit(0)
