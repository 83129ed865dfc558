"""Reference solutions: graph_leaves (计算图与叶子节点). Walking the autograd graph."""

from collections import deque

import torch


def is_leaf(t):
    # A tensor is a leaf exactly when no operation recorded it: grad_fn is None.
    # (requires_grad=False tensors never have a grad_fn, so they are leaves too.)
    return t.grad_fn is None


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    order, seen, queue = [], {t.grad_fn}, deque([t.grad_fn])
    while queue:                                   # breadth-first: a queue, not a stack
        node = queue.popleft()
        order.append(node.name())
        for parent, _ in node.next_functions:
            if parent is not None and parent not in seen:   # None: an input needing no grad
                seen.add(parent)
                queue.append(parent)
    return order


def leaves_receiving_grad(out, candidates):
    # backward fills .grad of leaves that require grad
    result = []
    for c in candidates:
        result.append(bool(c.requires_grad and c.grad_fn is None))
    return result


def intermediate_grad(x):
    y = x ** 2
    y.retain_grad()                 # before backward: y is not a leaf, its grad is not kept
    z = (y ** 2).sum()
    z.backward()
    return x.grad.detach().clone(), y.grad.detach().clone()
