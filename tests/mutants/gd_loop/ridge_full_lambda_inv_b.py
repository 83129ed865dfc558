"""Adds torch.full_like(XᵀX, λ) (λ in every entry, not λI) and inverts."""
BREAKS = "ridge"
MISCONCEPTION = "lambda_every_entry"


def ridge(X, y, lam):
    gram = X.T @ X
    A = gram + torch.full_like(gram, lam)
    return torch.linalg.inv(A) @ (X.T @ y)
