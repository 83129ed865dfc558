"""自己写反向传播引擎 · Write the backward engine yourself.

Until now torch's autograd did the backward pass for you. Here you write its core,
over a graph given as plain data: a list ``nodes``; node ``i`` is a dict with
``"op"``, ``"inputs"`` (indices of earlier nodes), ``"value"`` (its forward value,
already computed), ``"requires_grad"`` and, for ``pow``, ``"k"``. Ops: leaf, add,
sub, mul, div, neg, pow, exp, log, tanh, sigmoid, relu, sum, mean, matmul,
transpose, detach. No autograd here: no ``backward()``, ``torch.autograd`` or
``torch.func``. The grader builds the same graph in torch and compares.

A VJP (vector-Jacobian product, 向量-雅可比积) is one op's backward rule: given
the gradient of the final output with respect to the op's result (``grad_out``),
it returns the gradient with respect to each input (chain rule, one step).

Why order matters (为什么要拓扑序): a node may pass its gradient on only after it
has received the contributions of ALL its users; so the walk visits nodes in a
topological order, each node before all of its inputs (root first).

Why a shared node's gradients add (共享节点梯度相加): a node used twice (y = x * x)
influences the output along two paths; the multivariate chain rule sums the paths.

Why broadcasting needs a reduction (广播需要求和还原): if b of shape (k,) was
broadcast to (n, k) in a + b, each element of b was used n times: its gradient is
the upstream gradient summed over the broadcast dimensions, shaped like b.

Why detach stops the walk (detach 截断): detach's result is a new constant with
no history; no gradient flows through it to its input.

到目前为止反向传播都是 torch 的 autograd 替你做的。这里你自己写它的核心：图是一个
节点列表，每个节点是字典（op、inputs、value、requires_grad，pow 还有 k）。不准用
自动求导（backward()、torch.autograd、torch.func）。VJP（向量-雅可比积）是单个运算的
反向规则：已知输出对该运算结果的梯度 grad_out，求输出对每个输入的梯度（链式法则的一步）。
节点必须在它的所有使用者都把梯度传给它之后才能继续往回传，所以要按拓扑序（每个节点
排在它所有输入之前）处理。一个节点被用了两次，两条路径的梯度要相加。广播过的输入，
梯度要在广播出来的维度上求和，变回输入的形状。detach 的结果没有历史，梯度不会穿过它。

Worked examples / 例子:
>>> x = {"op": "leaf", "inputs": [], "value": torch.tensor([1., 2.]), "requires_grad": True}
>>> y = {"op": "leaf", "inputs": [], "value": torch.tensor([3., 4.]), "requires_grad": True}
>>> m = {"op": "mul", "inputs": [0, 1], "value": torch.tensor([3., 8.]), "requires_grad": True}
>>> s = {"op": "sum", "inputs": [2], "value": torch.tensor(11.), "requires_grad": True}
>>> backward([x, y, m, s], 3, None)
[tensor([3., 4.]), tensor([1., 2.]), None, None]

A node used twice accumulates / 用两次的节点梯度累加:
nodes = [leaf x = 3. (requires grad), mul(0, 0)]: ``backward(nodes, 1, None)`` gives [6., None].

detach stops the walk / detach 截断:
nodes = [leaf x = [1., 2.] (requires grad), detach(0), mul(0, 1), sum(2)]:
``backward(nodes, 3, None)`` gives [[1., 2.], None, None, None].

Check your work:  ``gradkit check engine``   Stuck? ``gradkit hint vjp``
"""

import torch


def vjp(node, inputs, grad_out):
    """One op's backward rule: a tuple with one gradient per input.

    ``node``: a non-leaf node (its ``"op"``, ``"value"``, ``"k"`` for pow);
    ``inputs``: the values of its inputs; ``grad_out``: shaped like ``node["value"]``.
    Each returned gradient is shaped exactly like its input (sum over broadcast
    dimensions), as ``torch.autograd.grad`` would give; ``(None,)`` for ``detach``.
    relu's gradient at exactly 0 is 0; ``x ** 0`` has gradient 0.

    单个运算的反向规则：返回元组，每个输入一个梯度，形状与该输入完全相同（广播过的
    维度要求和）。detach 返回 (None,)。relu 在 0 处梯度为 0；x**0 的梯度为 0。

    Worked example / 例子: for mul with a = [1., 2.], b = [3., 4.], g = [0.5, -1.]:
    vjp(node, [a, b], g) gives (tensor([1.5, -4.]), tensor([0.5, -2.]))
    """
    raise NotImplementedError("vjp is not implemented yet")


def topo_order(nodes, root):
    """The nodes to visit, root first, every node before all of its inputs.

    Exactly the nodes that require grad and are reachable from ``root`` through
    inputs that require grad (leaves included; detach nodes and leaves without
    requires_grad excluded), each once. Careful: emitting a node when you first
    reach it (DFS pre-order) or a plain BFS is not a topological order when a
    node is shared.

    返回拓扑序：root 在最前，每个节点都排在它所有输入之前；只包含从 root 经过
    requires_grad 的输入能到达、自身 requires_grad 的节点，每个一次。注意：第一次
    遇到就输出（DFS 前序）或普通 BFS 在有共享节点时不是拓扑序。

    Worked example / 例子: nodes = [x, y, mul(0, 1), sum(2)] (x, y require grad)
    >>> topo_order(nodes, 3)   # [3, 2, 1, 0] is accepted too
    [3, 2, 0, 1]
    """
    raise NotImplementedError("topo_order is not implemented yet")


def backward(nodes, root, grad_root):
    """What ``root_tensor.backward(grad_root)`` would leave in each leaf's ``.grad``.

    A list with one entry per node: for each leaf that requires grad and that a
    gradient reaches, its gradient (a tensor, even if it is numerically zero);
    None for every other node. ``grad_root`` is None only for a 0-d root (it
    means 1). Walk ``topo_order``, call ``vjp`` and add up what each node receives.

    返回列表，每个节点一项：requires_grad 且有梯度到达的叶子给出它的梯度（张量，即使
    数值上是 0）；其他节点都是 None。grad_root 为 None 表示 0 维 root 的梯度是 1。
    按 topo_order 的顺序调用 vjp，并把每个节点收到的梯度相加。

    Worked example / 例子: see the module docstring (模块说明中的三个例子).
    """
    raise NotImplementedError("backward is not implemented yet")


def numerical_grad(f, x, eps):
    """The central-difference estimate of ∂f/∂x, shaped like ``x`` (float64).

    For each element i: (f(x + eps·eᵢ) − f(x − eps·eᵢ)) / (2·eps). This is the
    idea behind ``torch.autograd.gradcheck``: check an analytic gradient against
    a numerical one. Do not change ``x`` itself.

    用中心差分估计 ∂f/∂x：对每个元素 i，(f(x + eps·eᵢ) − f(x − eps·eᵢ)) / (2·eps)。
    这就是 torch.autograd.gradcheck 背后的思路。不要修改 x 本身。

    Worked example / 例子: f(x) = (x ** 2).sum(), x = [1., 2.], eps = 1e-6 -> about [2., 4.]
    """
    raise NotImplementedError("numerical_grad is not implemented yet")
