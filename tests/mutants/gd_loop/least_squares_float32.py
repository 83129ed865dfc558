"""Solves least squares with float32 pinv and casts back: float64 answers lose their precision."""
BREAKS = "least_squares"
MISCONCEPTION = "float32_inside"

import torch


def least_squares(X, y):
    return (torch.linalg.pinv(X.float()) @ y.float()).to(X.dtype)
