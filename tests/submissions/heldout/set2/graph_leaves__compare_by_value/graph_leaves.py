"""Leaves, grad_fn and retain_grad."""
from collections import deque

import torch


def is_leaf(t):
    return t.grad_fn is None


def grad_fn_names(t):
    root = t.grad_fn
    if root is None:
        return []
    seen = [root]
    names = []
    q = deque([root])
    while q:
        node = q.popleft()
        names.append(node.name())
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if any(nxt is s for s in seen):
                continue
            seen.append(nxt)
            q.append(nxt)
    return names


def _reached_leaves(out):
    found = []
    root = out.grad_fn
    if root is None:
        if out.requires_grad:
            found.append(out)
        return found
    stack = [root]
    seen = [root]
    while stack:
        node = stack.pop()
        if hasattr(node, "variable"):
            found.append(node.variable)
        for nxt, _ in node.next_functions:
            if nxt is None or any(nxt is s for s in seen):
                continue
            seen.append(nxt)
            stack.append(nxt)
    return found


def leaves_receiving_grad(out, candidates):
    leaves = _reached_leaves(out)
    return [any(c.shape == l.shape and torch.equal(c, l) for l in leaves) for c in candidates]


def intermediate_grad(x):
    y = x ** 2
    y.retain_grad()
    z = (y ** 2).sum()
    z.backward()
    return x.grad.detach().clone(), y.grad.detach().clone()
