"""An independent correct submission: graph_leaves, level by level, recursion and hooks."""

import torch


def is_leaf(t):
    return getattr(t, "grad_fn") is None


def _parents(node):
    return [p for p, _ in node.next_functions if p is not None]


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    seen, order, level = {id(t.grad_fn)}, [t.grad_fn], [t.grad_fn]
    while level:
        nxt = []
        for node in level:
            for p in _parents(node):
                if id(p) not in seen:
                    seen.add(id(p))
                    nxt.append(p)
        order += nxt
        level = nxt
    return [n.name() for n in order]


def _reached(node, seen):
    if id(node) in seen:
        return set()
    seen[id(node)] = node            # keep the node alive so its id stays unique
    found = {id(node.variable)} if hasattr(node, "variable") else set()
    for p in _parents(node):
        found |= _reached(p, seen)
    return found


def leaves_receiving_grad(out, candidates):
    found = _reached(out.grad_fn, {})
    return [id(c) in found for c in candidates]


def intermediate_grad(x):
    captured = {}
    y = x.pow(2)
    y.register_hook(lambda g: captured.setdefault("y", g.clone()))  # a hook sees dz/dy too
    torch.autograd.backward(y.pow(2).sum())
    return x.grad.detach().clone(), captured["y"].detach()
