"""The gradient of d2l's squared_loss, (ŷ − y)² / 2, used for the mean squared error:
both gradients come out half the size."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "dropped_factor_2"


def squared_loss_grad(y_hat, y):
    return y_hat - y          # d/dŷ of (ŷ − y)² / 2


def linear_mse_grad(x, y, w, b):
    g = squared_loss_grad(w * x + b, y)
    return torch.mean(g * x), torch.mean(g)
