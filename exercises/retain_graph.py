"""保留计算图 · Backward more than once.

By default ``backward()`` frees the tensors the graph saved for the backward
pass (to save memory), so a second ``backward()`` on the same graph raises
"Trying to backward through the graph a second time". ``retain_graph=True``
keeps them. And ``create_graph=True`` records the backward pass itself as a
graph, so a gradient can be differentiated again.

默认情况下反向传播只能执行一次：第一次 backward 后计算图中保存的中间值会被释放。
需要多次反向传播时，在前面的 backward 中设置 ``retain_graph=True``；求高阶导数时用
``create_graph=True``。

Check your work:  ``gradkit check retain_graph``   Stuck? ``gradkit hint backward_twice``
"""

import torch


def backward_twice(z, x):
    """Call ``z.backward()`` twice on the one graph the harness built; return x.grad.

    z is a scalar computed from the leaf x. Gradients accumulate (累加), so after two
    passes x.grad = 2·∂z/∂x. The second call must not raise. Return a copy of x.grad.

    对同一个计算图调用两次 ``z.backward()``，返回 x.grad（= 2·∂z/∂x）。第二次不能报错。

    Worked example / 例子 (教程): x = 1, z = x²: after two passes x.grad = 2 + 2 = 4.
    >>> x = torch.tensor(1., requires_grad=True)
    >>> backward_twice(x ** 2, x)
    tensor(4.)
    """
    raise NotImplementedError("backward_twice is not implemented yet")


def two_losses_grads(loss1, loss2, W):
    """Two losses share one graph from the leaf W: h = tanh(W x), loss1 = Σh, loss2 = mean(h²).

    Return (∂loss1/∂W, ∂loss2/∂W), each from its own ``.backward()``, without
    rebuilding the forward pass. Two things go wrong: the graph is freed after
    the first backward, and W.grad still holds the first gradient when the
    second one arrives.

    两个损失共享同一个计算图。分别对它们调用 backward，返回各自对 W 的梯度。
    注意：第一次 backward 会释放计算图；W.grad 会累加。

    Worked example / 例子: W = [[0.]], x = [1.]: h = tanh(0) = 0, ∂loss1/∂W = [[1.]],
    ∂loss2/∂W = 2h·(1 − h²)·x = [[0.]].
    """
    raise NotImplementedError("two_losses_grads is not implemented yet")


def second_derivative(coeffs, x):
    """p''(x) elementwise, for p(x) = Σₖ coeffs[k]·xᵏ, obtained with autograd.

    coeffs: (K,); x: (n,) (a plain tensor: make your own leaf from it). Take
    the first derivative with ``torch.autograd.grad(..., create_graph=True)`` so
    it can be differentiated again. Degrees 0 and 1 are fair inputs (p'' = 0),
    and so is x = 0: no NaN.

    用 autograd 求二阶导：第一次求导时 ``create_graph=True``，再对结果求导。
    次数为 0 或 1 时 p'' = 0，x = 0 时也不能出现 NaN。

    Worked example / 例子: p(x) = x³ (coeffs [0, 0, 0, 1]): p''(x) = 6x.
    >>> second_derivative(torch.tensor([0., 0., 0., 1.]), torch.tensor([0., 1., 2.]))
    tensor([ 0.,  6., 12.])
    """
    raise NotImplementedError("second_derivative is not implemented yet")
