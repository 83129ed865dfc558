"""An independent correct submission: graph_leaves, with explicit loops and index queues."""

import torch


def is_leaf(t):
    if not t.requires_grad:
        return True
    return t.grad_fn is None


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    visited = [t.grad_fn]
    i = 0
    while i < len(visited):
        for parent, _ in visited[i].next_functions:
            if parent is None:
                continue
            if not any(parent is v for v in visited):
                visited.append(parent)
        i += 1
    return [node.name() for node in visited]


def leaves_receiving_grad(out, candidates):
    nodes = [out.grad_fn]
    i = 0
    while i < len(nodes):
        for parent, _ in nodes[i].next_functions:
            if parent is not None and not any(parent is n for n in nodes):
                nodes.append(parent)
        i += 1
    ids = set()
    for node in nodes:
        if type(node).__name__ == "AccumulateGrad":
            ids.add(id(node.variable))
    result = []
    for c in candidates:
        result.append(id(c) in ids)
    return result


def intermediate_grad(x):
    y = x * x
    y.retain_grad()
    z = torch.sum(y * y)
    z.backward()
    return x.grad.clone().detach(), y.grad.clone().detach()
