""""Freezes" W1 by running backward through both layers and zeroing W1.grad: W1.grad is no longer None."""
BREAKS = "frozen_step"
MISCONCEPTION = "frozen_grad_filled"


def frozen_step(W1, W2, X, y, lr):
    pred = torch.matmul(torch.matmul(X, W1.t()), W2)
    loss = torch.mean((pred - y) ** 2)
    loss.backward()
    W1.grad.zero_()                     # no update for W1
    with torch.no_grad():
        new_W2 = W2 - lr * W2.grad
    return W1.detach().clone(), new_W2
