"""Solves the ridge system in float32 (X.float(), then .to(X.dtype)): float64 answers lose their precision."""
BREAKS = "ridge"
MISCONCEPTION = "float32_inside"

import torch


def ridge(X, y, lam):
    A = X.float()
    eye = torch.eye(A.shape[1], device=A.device)
    return torch.linalg.solve(A.T @ A + lam * eye, A.T @ y.float()).to(X.dtype)
