"""Least squares by SVD, dividing by every singular value: the (near-)zero ones of a rank-deficient X explode."""
BREAKS = "least_squares"
MISCONCEPTION = "rank_deficient_unhandled"


def least_squares(X, y):
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    return Vh.T @ ((U.T @ y) / S)
