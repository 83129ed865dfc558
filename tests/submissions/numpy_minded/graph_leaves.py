"""计算图与叶子节点 — numpy-minded style.

is_leaf: a tensor is a leaf exactly when autograd recorded no creator for it.
leaves_receiving_grad: collect the AccumulateGrad nodes reachable from out and
compare them with each candidate's own accumulator, fetched through a
throw-away view (t.view_as(t)) whose only input is that accumulator.
intermediate_grad: retain_grad on y, as the contract asks.
"""
from collections import deque

import torch


def is_leaf(t):
    return (not t.requires_grad) or (t.grad_fn is None)


def _reachable(fn):
    seen, order, q = set(), [], deque()
    if fn is not None:
        seen.add(fn)
        q.append(fn)
    while q:
        node = q.popleft()
        order.append(node)
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                q.append(nxt)
    return order, seen


def grad_fn_names(t):
    order, _ = _reachable(t.grad_fn)
    return [node.name() for node in order]


def _accumulator(t):
    # For a leaf that requires grad, t.view_as(t) has exactly one next function:
    # t's AccumulateGrad node (the same object the graph already holds).
    return t.view_as(t).grad_fn.next_functions[0][0]


def leaves_receiving_grad(out, candidates):
    if out.grad_fn is None:      # out is itself a leaf: only out.grad is filled
        return [c is out and c.requires_grad for c in candidates]
    _, seen = _reachable(out.grad_fn)
    result = []
    for c in candidates:
        if c.requires_grad and c.grad_fn is None:
            result.append(_accumulator(c) in seen)
        elif c.requires_grad and c.retains_grad:
            result.append(c.grad_fn in seen)
        else:
            result.append(False)
    return result


def intermediate_grad(x):
    y = x * x
    y.retain_grad()
    z = torch.einsum("...,...->", y, y)
    z.backward()
    return x.grad.detach().clone(), y.grad.detach().clone()
