"""梯度累加与清零 · Gradient accumulation and zero_grad.

``backward()`` adds (累加) into ``.grad``; it never overwrites it. That is why a
training loop zeroes the gradient every step, and also how a large batch can be
processed in small pieces: run backward per micro-batch and let the gradients
add up.

``backward()`` 会把梯度累加到 ``.grad`` 上，而不是覆盖。所以训练循环每一步都要清零；
也正因如此，可以把大批量拆成小批量，逐个 backward，让梯度累加。

Check your work:  ``gradkit check grad_accumulation``   Stuck? ``gradkit hint zero_grad``
"""

import torch


def accumulated_grad(X, y, w, micro_batch):
    """w.grad after one backward per micro-batch, equal to the full-batch gradient.

    X: (m, d); y: (m,); w: (d,) a leaf requiring grad. Split the rows in order
    into chunks of ``micro_batch`` (the last may be smaller) and call backward
    once per chunk. After all chunks, w.grad must equal ∂/∂w of the full-batch
    mean((Xw − y)²): scale each chunk's loss so the pieces add up to that mean.

    梯度累加：每个小批量调用一次 backward，最后 w.grad 要等于整批 mean((Xw − y)²) 的梯度。
    最后一个小批量可能更小，想一想每块损失该除以什么。

    Worked example / 例子: X = [[1.], [1.], [1.]], y = [0., 0., 3.], w = [0.]:
    the full-batch gradient is mean(2·(Xw − y)·x) = −2, whatever micro_batch is.
    """
    raise NotImplementedError("accumulated_grad is not implemented yet")


def grads_without_zeroing(x, k):
    """Snapshots of x.grad after each of k backward calls of a fresh f(x) = Σx², never zeroing.

    x: a leaf requiring grad. Return a tensor of shape (k, *x.shape) whose row i
    is x.grad after i + 1 calls: 2x, 4x, ..., 2kx. Mind that ``.grad`` is one
    tensor updated in place.

    不清零，连续 k 次 backward，记录每次之后的 x.grad：2x, 4x, …, 2kx。
    注意 ``.grad`` 是被原地更新的同一个张量。

    Worked example / 例子 (教程): x = 1, k = 2: x.grad is 2, then 4.
    >>> grads_without_zeroing(torch.tensor([1.], requires_grad=True), 2)
    tensor([[2.], [4.]])
    """
    raise NotImplementedError("grads_without_zeroing is not implemented yet")


def zero_grad(params, set_to_none):
    """Do what ``torch.optim.Optimizer.zero_grad(set_to_none)`` does to every ``.grad``; return None.

    params: a list of leaves, some with ``.grad`` set, some whose ``.grad`` came
    from ``backward(create_graph=True)`` and so carries a graph itself.
    set_to_none=True: every ``.grad`` becomes None. set_to_none=False: a ``.grad``
    that is a tensor stays *the same tensor object*, cut from any graph and
    zeroed in place; a ``.grad`` that is None stays None.

    实现优化器的 zero_grad：set_to_none=True 时把 .grad 设为 None；否则保留同一个张量对象，
    先与计算图分离，再原地清零。

    Worked example / 例子:
    >>> p = torch.tensor([1., 2.], requires_grad=True); (p * 3).sum().backward()
    >>> g = p.grad; zero_grad([p], False); p.grad is g, p.grad
    (True, tensor([0., 0.]))
    """
    raise NotImplementedError("zero_grad is not implemented yet")
