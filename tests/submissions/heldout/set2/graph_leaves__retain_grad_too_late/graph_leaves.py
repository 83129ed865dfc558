"""Leaves, grad_fn and retain_grad, with a small graph walker class."""
import torch


class GraphWalker:
    def __init__(self, tensor):
        self.root = tensor.grad_fn

    def bfs(self):
        if self.root is None:
            return []
        visited = {self.root}
        order = [self.root]
        head = 0
        while head < len(order):
            node = order[head]
            head += 1
            for child, _idx in node.next_functions:
                if child is not None and child not in visited:
                    visited.add(child)
                    order.append(child)
        return order


def is_leaf(t):
    if not t.requires_grad:
        return True
    return t.grad_fn is None


def grad_fn_names(t):
    return [node.name() for node in GraphWalker(t).bfs()]


def leaves_receiving_grad(out, candidates):
    ids = set()
    keep = []
    if out.grad_fn is None and out.requires_grad:
        ids.add(id(out))
        keep.append(out)
    for node in GraphWalker(out).bfs():
        var = getattr(node, "variable", None)
        if var is not None:
            keep.append(var)
            ids.add(id(var))
    return [id(c) in ids for c in candidates]


def intermediate_grad(x):
    y = x.pow(2)
    z = y.pow(2).sum()
    z.backward()
    y.retain_grad()
    return x.grad.clone(), y.grad
