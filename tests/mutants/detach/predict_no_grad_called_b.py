"""Calls torch.no_grad() as a plain statement instead of using it in a with block: nothing is switched off."""
BREAKS = "predict"
MISCONCEPTION = "predict_tracks_graph"


def predict(w, b, x):
    torch.no_grad()
    return torch.add(torch.mul(w, x), b)
