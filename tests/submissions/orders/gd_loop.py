"""Correct answers in other operation orders (einsum, flipped sums, the dual ridge, SVD by hand): full marks."""

import torch


# --- other operation orders, all correct (the tolerance must accept them) ---

def gradient_descent(x, y, w0, b0, lr, steps):
    params = [w0.detach().clone().requires_grad_(True), b0.detach().clone().requires_grad_(True)]
    losses = torch.empty(steps, dtype=x.dtype, device=x.device)
    for step in range(steps):
        w, b = params
        loss = torch.mean(torch.square(x * w - y + b))
        gw, gb = torch.autograd.grad(loss, params)
        losses[step] = loss.detach()
        params = [(w - gw * lr).detach().requires_grad_(True), (b - lr * gb).detach().requires_grad_(True)]
    return params[0].detach(), params[1].detach(), losses


def least_squares(X, y):
    # QR-free: the SVD by hand, dropping singular values at pinv's cutoff
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    cutoff = S.max() * max(X.shape) * torch.finfo(X.dtype).eps if S.numel() else 0
    inv = torch.where(S > cutoff, 1 / S, torch.zeros_like(S))
    return Vh.T @ (inv * (U.T @ y))


def ridge(X, y, lam):
    # the dual form: Xᵀ (XXᵀ + λI)⁻¹ y
    eye = torch.eye(X.shape[0], dtype=X.dtype, device=X.device)
    return X.T @ torch.linalg.solve(X @ X.T + lam * eye, y)
