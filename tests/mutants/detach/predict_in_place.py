"""Saves memory by computing in place on x: the caller's x is overwritten."""
BREAKS = "predict"
MISCONCEPTION = "input_mutated"


def predict(w, b, x):
    with torch.no_grad():
        return x.mul_(w).add_(b)
