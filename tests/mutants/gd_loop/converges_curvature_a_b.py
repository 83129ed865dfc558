"""Uses the step-size rule lr·L < 2 with L = a, forgetting that f″ = 2a."""
BREAKS = "converges"
MISCONCEPTION = "curvature_confused"


def converges(a, lr):
    curvature = a                     # f''(w) -- actually 2a
    return lr > 0 and lr * curvature < 2
