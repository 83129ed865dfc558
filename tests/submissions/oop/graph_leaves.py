"""计算图与叶子节点 — object-oriented style with generators and functools."""
import functools
from collections import deque

import torch


def is_leaf(t):
    # A leaf is a tensor with no recorded creator (grad_fn).
    return t.grad_fn is None


class GraphWalker:
    """Breadth-first walk over autograd nodes, each node yielded once."""

    def __init__(self, root_fn):
        self.root_fn = root_fn

    def __iter__(self):
        if self.root_fn is None:
            return
        seen = {self.root_fn}
        queue = deque([self.root_fn])
        while queue:
            node = queue.popleft()
            yield node
            for nxt, _ in node.next_functions:
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)


def grad_fn_names(t):
    return [node.name() for node in GraphWalker(t.grad_fn)]


def leaves_receiving_grad(out, candidates):
    if out.grad_fn is None:
        return [c is out and c.requires_grad for c in candidates]
    filled = [getattr(node, "variable", None) for node in GraphWalker(out.grad_fn)]
    filled = [v for v in filled if v is not None]
    reached = {id(node) for node in GraphWalker(out.grad_fn)}

    def receives(c):
        if c.grad_fn is None:
            return c.requires_grad and any(v is c for v in filled)
        return bool(c.retains_grad) and id(c.grad_fn) in reached

    return list(map(receives, candidates))


def intermediate_grad(x):
    y = x ** 2
    y.retain_grad()
    z = functools.reduce(torch.add, [y.pow(2).sum()])
    z.backward()
    return x.grad.detach().clone(), y.grad.detach().clone()
