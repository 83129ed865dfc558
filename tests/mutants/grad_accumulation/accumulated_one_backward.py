"""Adds the micro-batch losses up and calls backward once: right value, no accumulation."""
BREAKS = "accumulated_grad"
MISCONCEPTION = "not_one_backward_per_chunk"


def accumulated_grad(X, y, w, micro_batch):
    m = X.shape[0]
    total = sum(((X[i:i + micro_batch] @ w - y[i:i + micro_batch]) ** 2).sum() / m
                for i in range(0, m, micro_batch))
    total.backward()
    return w.grad.detach().clone()
