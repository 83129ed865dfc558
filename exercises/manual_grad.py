"""手动求梯度 · Derive gradients by hand.

Backpropagation (反向传播) is the chain rule (链式法则) applied from the loss back to
each parameter. Here you do it yourself: no ``backward()``, no ``torch.autograd``,
no ``torch.func``. The grader runs your code and notices if autograd runs.

在这里你要自己用链式法则推导梯度：不能调用 ``backward()``、``torch.autograd`` 或
``torch.func``，评分器会在运行时检测。

Check your work:  ``gradkit check manual_grad``   Stuck? ``gradkit hint linear_mse_grad``
"""

import torch


def linear_mse_grad(x, y, w, b):
    """Gradients of the mean squared error of a line ŷ = w·x + b.

    x, y: (n,) tensors, n ≥ 1; w, b: 0-d tensors.
    L = mean((ŷ − y)²). Return (∂L/∂w, ∂L/∂b), both 0-d tensors of x's dtype.

    一元线性回归 ŷ = w·x + b，损失 L = mean((ŷ − y)²)（均方误差）。
    返回 (∂L/∂w, ∂L/∂b)，都是 0 维张量。提示：对 (ŷ − y)² 求导会带出一个因子 2，
    而 mean 会带出 1/n。

    Worked example / 例子: one sample x = 2, y = 4 (the line y = 2x), w = 1, b = 0:
    ŷ = 2, ŷ − y = −2, so ∂L/∂w = 2·(−2)·2 = −8 and ∂L/∂b = 2·(−2) = −4.
    >>> linear_mse_grad(torch.tensor([2.]), torch.tensor([4.]), torch.tensor(1.), torch.tensor(0.))
    (tensor(-8.), tensor(-4.))
    """
    raise NotImplementedError("linear_mse_grad is not implemented yet")


def sigmoid_neuron_grad(x, w, t):
    """Gradient of one sigmoid neuron's squared error with respect to its weights.

    x, w: (d,) tensors; t: 0-d target. O = σ(Σᵢ xᵢwᵢ), E = ½(O − t)².
    Return ∂E/∂w, shape (d,).

    单个 sigmoid 神经元：O = σ(z)，z = Σ xᵢwᵢ，误差 E = ½(O − t)²。
    链式法则：∂E/∂wᵢ = ∂E/∂O · ∂O/∂z · ∂z/∂wᵢ，其中 σ′(z) = σ(z)(1 − σ(z))。

    Worked example / 例子: x = [1, 0], w = [0, 0], t = 1: z = 0, O = ½,
    ∂E/∂O = −½, σ′(0) = ¼, so ∂E/∂w = [−⅛, 0].
    """
    raise NotImplementedError("sigmoid_neuron_grad is not implemented yet")


def matrix_mse_grad(X, y, w):
    """Gradient of L = ‖Xw − y‖² / (2m) with respect to w.

    X: (m, d); y: (m,); w: (d,). Return ∂L/∂w, shape (d,).

    矩阵形式的线性回归：L = ‖Xw − y‖² / (2m)。返回 ∂L/∂w，形状 (d,)。
    想一想：结果的形状是 (d,)，哪个矩阵乘法能把 (m,) 的残差变成 (d,)？

    Worked example / 例子: X = [[1, 0], [0, 2]], y = [1, 2], w = [0, 0]:
    Xw − y = [−1, −2], so ∂L/∂w = Xᵀ[−1, −2] / 2 = [−0.5, −2].
    """
    raise NotImplementedError("matrix_mse_grad is not implemented yet")


def two_layer_grads(X, y, W1, b1, W2, b2):
    """Backpropagation through a two-layer network by hand.

    X: (n, d); y: (n,); W1: (k, d); b1: (k,); W2: (k,); b2: 0-d.
    h = tanh(X W1ᵀ + b1); ŷ = h W2 + b2; L = mean((ŷ − y)²).
    Return (∂L/∂W1, ∂L/∂b1, ∂L/∂W2, ∂L/∂b2), each shaped like its parameter.

    两层网络的反向传播：先求 ∂L/∂ŷ，再传到 W2、b2，再经过 tanh
    （tanh′(a) = 1 − tanh²(a)）传到 W1、b1。每个梯度的形状和对应参数相同。

    Worked example / 例子: n = d = k = 1, X = [[0]], y = [1], W1 = [[1]], b1 = [0],
    W2 = [1], b2 = 0: h = 0, ŷ = 0, ∂L/∂ŷ = −2, so ∂L/∂b2 = −2, ∂L/∂W2 = [0],
    ∂L/∂b1 = [−2·1·1] = [−2], ∂L/∂W1 = [[0]].
    """
    raise NotImplementedError("two_layer_grads is not implemented yet")
