"""The textbook (XᵀX)⁻¹Xᵀy with torch.linalg.inv: breaks when XᵀX is singular."""
BREAKS = "least_squares"
MISCONCEPTION = "normal_equations_singular"


def least_squares(X, y):
    return torch.linalg.inv(X.mT @ X) @ (X.mT @ y)
