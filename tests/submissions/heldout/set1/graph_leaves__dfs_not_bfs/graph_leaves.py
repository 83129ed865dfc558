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
    names, visited = [], set()
    stack = [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in visited:
            continue
        visited.add(fn)
        names.append(fn.name())
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return names


def leaves_receiving_grad(out, candidates):
    # backward() fills .grad through the AccumulateGrad nodes it reaches; each one
    # holds its leaf in .variable.
    reached, seen, stack = [], set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            reached.append(node.variable)
        stack.extend(parent for parent, _ in node.next_functions)
    return [any(c is leaf for leaf in reached) for c in candidates]


def intermediate_grad(x):
    y = x ** 2
    y.retain_grad()                 # before backward: y is not a leaf, its grad is not kept
    z = (y ** 2).sum()
    z.backward()
    return x.grad.detach().clone(), y.grad.detach().clone()
