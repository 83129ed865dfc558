"""Computed under no_grad, then given requires_grad_() "so gradients can flow later"."""
BREAKS = "predict"
MISCONCEPTION = "predict_requires_grad_set"


def predict(w, b, x):
    with torch.no_grad():
        y = w * x + b
    return y.requires_grad_()
