"""自己写反向传播引擎 — object-oriented style.

One small class per op, registered in a dict by a decorator; topo_order is a
recursive post-order DFS (a node is emitted only after all of its inputs,
then the list is reversed); backward accumulates with a defaultdict-like
GradientBook.  No autograd.
"""
import functools
import sys

import torch

OPS = {}


def register(*names):
    def deco(cls):
        for n in names:
            OPS[n] = cls()
        return cls
    return deco


def reduce_to(g, shape):
    """Sum a broadcast gradient back down to `shape`."""
    shape = torch.Size(shape)
    while g.dim() > len(shape):
        g = g.sum(0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis, keepdim=True)
    return g.reshape(shape)


class Op:
    def grads(self, node, inputs, g):
        raise NotImplementedError


@register("add")
class Add(Op):
    def grads(self, node, inputs, g):
        return tuple(reduce_to(g, t.shape) for t in inputs)


@register("sub")
class Sub(Op):
    def grads(self, node, inputs, g):
        a, b = inputs
        return reduce_to(g, a.shape), reduce_to(-g, b.shape)


@register("mul")
class Mul(Op):
    def grads(self, node, inputs, g):
        a, b = inputs
        return reduce_to(g * b, a.shape), reduce_to(g * a, b.shape)


@register("div")
class Div(Op):
    def grads(self, node, inputs, g):
        a, b = inputs
        return reduce_to(g / b, a.shape), reduce_to(-g * a / b ** 2, b.shape)


class Unary(Op):
    def grads(self, node, inputs, g):
        return (self.one(node, inputs[0], g),)


@register("neg")
class Neg(Unary):
    def one(self, node, x, g):
        return -g


@register("pow")
class Pow(Unary):
    def one(self, node, x, g):
        k = node["k"]
        return torch.zeros_like(x) if k == 0 else g * k * x.pow(k - 1)


@register("exp")
class Exp(Unary):
    def one(self, node, x, g):
        return g * torch.exp(x)


@register("log")
class Log(Unary):
    def one(self, node, x, g):
        return g / x


@register("tanh")
class Tanh(Unary):
    def one(self, node, x, g):
        return g * (1 - torch.tanh(x) ** 2)


@register("sigmoid")
class Sigmoid(Unary):
    def one(self, node, x, g):
        s = torch.sigmoid(x)
        return g * s * (1 - s)


@register("relu")
class Relu(Unary):
    def one(self, node, x, g):
        return torch.where(x > 0, g, torch.zeros_like(g))


@register("sum")
class Sum(Unary):
    def one(self, node, x, g):
        return g * torch.ones_like(x)


@register("mean")
class Mean(Unary):
    def one(self, node, x, g):
        return g * torch.ones_like(x) / x.numel()


@register("transpose")
class Transpose(Unary):
    def one(self, node, x, g):
        return g.t().contiguous()


@register("matmul")
class MatMul(Op):
    def grads(self, node, inputs, g):
        a, b = inputs
        if b.dim() == 1:
            return torch.outer(g, b), a.t() @ g
        return g @ b.t(), a.t() @ g


@register("detach")
class Detach(Op):
    def grads(self, node, inputs, g):
        return (None,)


def vjp(node, inputs, grad_out):
    return tuple(OPS[node["op"]].grads(node, list(inputs), grad_out))


def _grad_inputs(nodes, i):
    node = nodes[i]
    if node["op"] in ("leaf", "detach"):
        return ()
    return tuple(j for j in node["inputs"] if nodes[j]["requires_grad"])


def topo_order(nodes, root):
    if not nodes[root]["requires_grad"]:
        return []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * len(nodes) + 100))
    post, done = [], set()

    def visit(i):
        if i in done:
            return
        done.add(i)
        for j in _grad_inputs(nodes, i):
            visit(j)
        post.append(i)             # emitted after all of its inputs

    try:
        visit(root)
    finally:
        sys.setrecursionlimit(limit)
    return post[::-1]


class GradientBook:
    def __init__(self):
        self.book = {}

    def add(self, i, g):
        self.book[i] = g if i not in self.book else self.book[i] + g

    def take(self, i):
        return self.book.pop(i, None)


def backward(nodes, root, grad_root):
    book = GradientBook()
    book.add(root, torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root)
    out = [None] * len(nodes)
    for i in topo_order(nodes, root):
        g = book.take(i)
        node = nodes[i]
        if node["op"] == "leaf":
            out[i] = g.clone()
            continue
        parts = vjp(node, [nodes[j]["value"] for j in node["inputs"]], g)
        for j, gj in zip(node["inputs"], parts):
            if gj is not None and nodes[j]["requires_grad"]:
                book.add(j, gj)
    return out


def numerical_grad(f, x, eps):
    def central(index):
        bump = torch.zeros_like(x)
        bump[index] = eps
        return (f(x + bump) - f(x - bump)) / (2 * eps)

    out = torch.empty_like(x)
    if x.dim() == 0:
        bump = torch.full_like(x, eps)
        return ((f(x + bump) - f(x - bump)) / (2 * eps)).reshape(x.shape).to(x.dtype)
    for index in torch.cartesian_prod(*[torch.arange(s) for s in x.shape]).reshape(-1, x.dim()).tolist():
        out[tuple(index)] = central(tuple(index))
    return out
