"""Straight-through with the detach on the wrong term: round(x) − x + x.detach() keeps the
value round(x), but the only path to x left is through −x, so the gradient is −v."""
BREAKS = "straight_through_round"
MISCONCEPTION = "straight_through_input_detached"


def straight_through_round(x):
    r = torch.round(x)
    return (r - x) + x.detach()
