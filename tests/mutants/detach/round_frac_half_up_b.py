"""Rounds up when the fractional part is ≥ 0.5 (ceil vs floor by torch.where): halves go up, not to even."""
BREAKS = "straight_through_round"
MISCONCEPTION = "round_half_up"


def straight_through_round(x):
    frac = x - torch.floor(x)
    r = torch.where(frac >= 0.5, torch.ceil(x), torch.floor(x))
    return x + (r - x).detach()
