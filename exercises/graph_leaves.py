"""计算图与叶子节点 · The computation graph: is_leaf, grad_fn, retain_grad.

Every operation on a tensor that requires grad records a node (``grad_fn``) in the
computation graph (计算图). Leaves (叶子节点) are where the graph starts: tensors you
created yourself. ``backward()`` walks the graph from the output back to the
leaves, and only leaves keep their gradient in ``.grad``.

每个对 requires_grad 张量的运算都会在计算图中记录一个节点（``grad_fn``）。叶子节点是计算的
起点（手动创建的张量）。``backward()`` 从输出沿计算图反向走到叶子，只有叶子节点的 ``.grad``
会被保存；中间节点需要 ``retain_grad()``。

Check your work:  ``gradkit check graph_leaves``   Stuck? ``gradkit hint is_leaf``
"""

import torch


def is_leaf(t):
    """Return ``t.is_leaf`` (a Python bool) without reading ``t.is_leaf``.

    A tensor is a leaf when no recorded operation produced it: tensors you create
    (with or without ``requires_grad``), ``detach()`` results and results computed
    under ``torch.no_grad()``. Look at what an operation leaves on its result.

    判断张量是否为叶子节点，但不能读取 ``t.is_leaf``。手动创建的张量（无论
    requires_grad 是否为 True）、``detach()`` 的结果、``no_grad`` 中算出的结果都是叶子；
    由其他可微张量计算得到的张量不是。想一想：运算会在结果上留下什么？

    Worked example / 例子 (from the tutorial / 教程中的例子):
    >>> t = torch.tensor(1., requires_grad=True); y = t ** 2
    >>> is_leaf(t), is_leaf(y), is_leaf(y.detach()), is_leaf(torch.tensor(1.))
    (True, False, True, True)
    """
    raise NotImplementedError("is_leaf is not implemented yet")


def grad_fn_names(t):
    """Names of every autograd node reachable from ``t.grad_fn``, breadth-first.

    Start at ``t.grad_fn``; a node's inputs are ``node.next_functions``, a tuple
    of ``(node, index)`` pairs, in order; an entry is ``None`` where that input
    needs no gradient: skip it. List each node once (``node.name()``), in
    breadth-first order (广度优先: a queue). Return ``[]`` when ``t.grad_fn`` is None.

    从 ``t.grad_fn`` 出发，沿 ``next_functions``（按顺序，跳过 None）广度优先遍历，
    每个节点只记录一次它的 ``name()``。叶子节点对应的节点叫 AccumulateGrad。

    Worked example / 例子:
    >>> t1 = torch.tensor(1., requires_grad=True); z1 = t1 ** 2 + torch.tensor(1.)
    >>> grad_fn_names(z1)
    ['AddBackward0', 'PowBackward0', 'torch::autograd::AccumulateGrad']
    """
    raise NotImplementedError("grad_fn_names is not implemented yet")


def leaves_receiving_grad(out, candidates):
    """For each candidate, would ``out.backward()`` fill its ``.grad``? A list of bools.

    Answer by walking the graph from ``out.grad_fn``, without calling backward.
    ``.grad`` is filled only for leaves that require grad and that the graph
    reaches: the node that fills a leaf's ``.grad`` (AccumulateGrad) holds the
    leaf in its ``.variable`` attribute. Compare tensors with ``is``.

    不调用 backward，沿计算图判断哪些候选张量会在 ``out.backward()`` 后得到 ``.grad``：
    只有能从 out 走到的、requires_grad 的叶子节点。非叶子、未被使用的叶子、
    不需要梯度的张量都不会得到。

    Worked example / 例子:
    >>> a = torch.tensor([1., 2.], requires_grad=True); unused = torch.tensor([1., 1.], requires_grad=True)
    >>> c = torch.tensor([3., 4.]); h = a * c; out = h.sum()
    >>> leaves_receiving_grad(out, [a, unused, c, h])
    [True, False, False, False]
    """
    raise NotImplementedError("leaves_receiving_grad is not implemented yet")


def intermediate_grad(x):
    """y = x², z = Σ y²; one backward; return (∂z/∂x, ∂z/∂y).

    x is a leaf requiring grad. y is an intermediate node (中间节点): its gradient
    is thrown away after backward unless you ask to keep it with
    ``y.retain_grad()``. When must that call happen? Return copies
    (``.detach().clone()``) of the two gradients.

    y 是中间节点，默认反向传播后不保存梯度；需要在 backward 之前调用 ``y.retain_grad()``。

    Worked example / 例子 (教程 t3): x = 1: y = 1, z = 1, ∂z/∂y = 2y = 2, ∂z/∂x = 4x³ = 4.
    >>> intermediate_grad(torch.tensor(1., requires_grad=True))
    (tensor(4.), tensor(2.))
    """
    raise NotImplementedError("intermediate_grad is not implemented yet")
