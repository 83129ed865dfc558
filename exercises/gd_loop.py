"""梯度下降 · The training loop by hand.

Gradients come from autograd here (``loss.backward()``), but the update is yours:
no ``torch.optim``. Remember the three steps of every iteration — forward (前向传播),
backward (反向传播), update (参数更新) — and that ``backward()`` *adds* to ``.grad``,
so zero it (梯度清零) before the next step.

这里可以用 autograd 求梯度，但参数更新要自己写，不能用 ``torch.optim``。
更新要放在 ``torch.no_grad()`` 里，并且每一步之后要把梯度清零。

Check your work:  ``gradkit check gd_loop``
"""

import torch


def gradient_descent(x, y, w0, b0, lr, steps):
    """Full-batch gradient descent on L(w, b) = mean((w·x + b − y)²).

    x, y: (n,); w0, b0: 0-d starting values (leave them untouched); lr: float; steps: int.
    Return (w, b, losses): the final w and b (0-d) and losses, shape (steps,), where
    losses[i] is the loss *before* update i.

    全批量梯度下降：每一步 w ← w − lr·∂L/∂w，b ← b − lr·∂L/∂b。
    不要修改 w0、b0（先 clone）。losses[i] 是第 i 次更新之前的损失。

    Worked example / 例子: x = [1], y = [2], w0 = b0 = 0, lr = 0.25, steps = 1:
    L = 4, ∂L/∂w = ∂L/∂b = −4, so w = b = 1 and losses = [4.].
    """
    raise NotImplementedError("gradient_descent is not implemented yet")


def minibatch_sgd(X, y, w0, b0, lr, epochs, batch_size):
    """Mini-batch SGD on the linear model ŷ = X w + b.

    X: (m, d); y: (m,); w0: (d,); b0: 0-d. For each of ``epochs`` passes, take the
    batches X[i:i+batch_size] in order (the last one may be smaller: keep it) and make
    one update per batch on that batch's mean squared error. Return (w, b).

    小批量随机梯度下降：按顺序取 X[i:i+batch_size]（最后一批可能更小，不要丢掉），
    每一批用该批的均方误差更新一次参数。

    Worked example / 例子: m = 3, batch_size = 2 gives batches of sizes 2 and 1:
    two updates per epoch.
    """
    raise NotImplementedError("minibatch_sgd is not implemented yet")


def converges(a, lr):
    """Does gradient descent on f(w) = a·w² + c·w + d converge from every start?

    a > 0 and lr are floats. Return a Python bool.

    学习率太大时梯度下降会发散。对 f(w) = a·w² + c·w + d，推导每一步误差缩小的倍数，
    判断它何时小于 1。

    Worked example / 例子: the tutorials' SSE(w) = 14w² − 56w + 56 diverges for
    lr = 0.5, 0.1 and 2 and converges for lr = 0.01.
    """
    raise NotImplementedError("converges is not implemented yet")


def least_squares(X, y):
    """The minimum-norm least-squares solution w of X w ≈ y.

    X: (m, d); y: (m,). Return w: (d,), the one the pseudo-inverse gives, also when
    XᵀX is singular (then many w fit equally well: return the shortest).

    最小二乘的最小范数解（伪逆给出的解），XᵀX 不可逆时也要正确。

    Worked example / 例子: X = [[1, 1]], y = [2]: every w with w₀ + w₁ = 2 fits;
    the shortest is [1, 1].
    """
    raise NotImplementedError("least_squares is not implemented yet")


def ridge(X, y, lam):
    """Ridge regression in closed form: (XᵀX + λI)⁻¹ Xᵀ y.

    X: (m, d); y: (m,); lam > 0 (a float). Return w: (d,).

    岭回归的闭式解。注意 λ 只加在对角线上（λI），不是加到每个元素上。

    Worked example / 例子: X = [[1]], y = [2], λ = 1: w = [2 / (1 + 1)] = [1].
    """
    raise NotImplementedError("ridge is not implemented yet")
