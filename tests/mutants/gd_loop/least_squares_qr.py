"""Least squares by QR: R is singular when X is rank-deficient."""
BREAKS = "least_squares"
MISCONCEPTION = "rank_deficient_unhandled"


def least_squares(X, y):
    Q, R = torch.linalg.qr(X)
    return torch.linalg.solve_triangular(R, (Q.T @ y)[:, None], upper=True)[:, 0]
