"""∂L/∂w as 2·mean(ŷ − y)·mean(x): x taken out of the mean as if it were a constant
(right only when x is the same for every sample, or n = 1); ∂L/∂b is right."""
BREAKS = "linear_mse_grad"
MISCONCEPTION = "mean_of_product_split"


def linear_mse_grad(x, y, w, b):
    err = (w * x + b) - y
    mean_err = torch.mean(err)
    return 2 * mean_err * torch.mean(x), 2 * mean_err
