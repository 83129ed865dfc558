"""Only the upper bound checked: lr = 0 never moves and a negative lr climbs."""
BREAKS = "converges"
MISCONCEPTION = "nonpositive_lr"


def converges(a, lr):
    return lr < 1 / a
