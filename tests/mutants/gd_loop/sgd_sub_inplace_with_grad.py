"""Mini-batch SGD updating the parameters with .sub_() while autograd still tracks them."""
BREAKS = "minibatch_sgd"
MISCONCEPTION = "inplace_leaf_update"


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    params = [w0.detach().clone().requires_grad_(), b0.detach().clone().requires_grad_()]
    for _ in range(epochs):
        for start in range(0, len(y), batch_size):
            rows = slice(start, start + batch_size)
            loss = (X[rows] @ params[0] + params[1] - y[rows]).pow(2).mean()
            grads = torch.autograd.grad(loss, params)
            for p, g in zip(params, grads):
                p.sub_(lr * g)
    return params[0].detach(), params[1].detach()
