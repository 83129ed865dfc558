"""detach 与 no_grad · Cutting the graph.

``t.detach()`` returns a tensor with the same values that the graph does not
track (a new leaf, requires_grad False); ``with torch.no_grad():`` stops
recording for everything computed inside it. Both stop gradients: use them for
inference, for frozen layers, and for tricks that change a gradient on purpose.

``detach()`` 返回数值相同、但不再被计算图追踪的张量；``torch.no_grad()`` 中的运算不会被记录。
两者都能切断梯度：用于推理、冻结参数，以及有意改变梯度的技巧。

Check your work:  ``gradkit check detach``   Stuck? ``gradkit hint straight_through_round``
"""

import torch


def stop_gradient_grads(a, b):
    """loss = mean((a − b.detach())²); after backward return (a.grad, b.grad).

    a, b: leaves requiring grad, same shape. b.grad will be None: explain to
    yourself why before you run it.

    b 被 detach，在损失中相当于常数，所以 b.grad 为 None。

    Worked example / 例子: a = [1.], b = [0.]: loss = 1, a.grad = [2.], b.grad = None.
    """
    raise NotImplementedError("stop_gradient_grads is not implemented yet")


def straight_through_round(x):
    """A tensor whose value is ``torch.round(x)`` and whose gradient with respect to x is the identity.

    ``torch.round`` alone has zero gradient almost everywhere, which stops
    learning. The straight-through estimator (直通估计) keeps round's value in the
    forward pass but lets the gradient through as if the op were the identity.
    (torch rounds half to even: round(2.5) = 2.)

    前向取 round(x) 的值，反向时梯度直接穿过（恒等）。提示：值相同、但一部分被 detach。

    Worked example / 例子: x = [0.4, 2.5] gives [0., 2.]; with an upstream gradient
    v, x.grad = v.
    """
    raise NotImplementedError("straight_through_round is not implemented yet")


def predict(w, b, x):
    """w·x + b for inference: no graph. The result has no grad_fn and requires_grad False.

    w, b: 0-d leaves requiring grad; x: (n,).

    推理时不需要计算图：结果不能有 grad_fn，requires_grad 为 False。

    Worked example / 例子: w = 2, b = 1, x = [1., 2.] gives [3., 5.], with grad_fn None.
    """
    raise NotImplementedError("predict is not implemented yet")


def frozen_step(W1, W2, X, y, lr):
    """One SGD step on L = mean(((X W1ᵀ) W2 − y)²) that trains W2 and freezes W1.

    W1: (k, d), W2: (k,), leaves requiring grad; X: (n, d); y: (n,). Return
    (W1 unchanged, the new W2 = W2 − lr·∂L/∂W2). W1.grad must stay None: the
    frozen layer gets no gradient at all. Leave the inputs unchanged (return a
    new W2 rather than updating it in place).

    冻结第一层 W1，只更新 W2；W1.grad 必须保持 None。返回 (W1, 新的 W2)。

    Worked example / 例子: X = [[1.]], y = [0.], W1 = [[1.]], W2 = [1.], lr = 0.1:
    L = 1, ∂L/∂W2 = [2.], so the new W2 = [0.8].
    """
    raise NotImplementedError("frozen_step is not implemented yet")
