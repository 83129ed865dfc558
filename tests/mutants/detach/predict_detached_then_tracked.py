"""The graph cut with detach(), then requires_grad switched back on."""
BREAKS = "predict"
MISCONCEPTION = "predict_requires_grad_set"


def predict(w, b, x):
    out = (w * x + b).detach()
    out.requires_grad = True
    return out
