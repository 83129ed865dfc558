"""Rounds x itself under no_grad and hands it back: the caller's x is changed, and the
result (x, a leaf) carries no grad_fn although nothing was detached."""
BREAKS = "straight_through_round"
MISCONCEPTION = "input_mutated"


def straight_through_round(x):
    with torch.no_grad():
        x.copy_(torch.round(x))
    return x
