"""λ added to every entry of XᵀX instead of to its diagonal (λ, not λI)."""
BREAKS = "ridge"
MISCONCEPTION = "lambda_every_entry"


def ridge(X, y, lam):
    return torch.linalg.solve(X.T @ X + lam, X.T @ y)
