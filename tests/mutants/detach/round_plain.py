"""torch.round(x) alone: the right value, but zero gradient."""
BREAKS = "straight_through_round"
MISCONCEPTION = "round_zero_grad"


def straight_through_round(x):
    return torch.round(x)
