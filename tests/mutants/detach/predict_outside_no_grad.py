"""Computes the prediction outside torch.no_grad(): it carries a grad_fn."""
BREAKS = "predict"
MISCONCEPTION = "predict_tracks_graph"


def predict(w, b, x):
    return w * x + b
