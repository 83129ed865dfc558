"""Finds the reached leaves breadth-first, then matches candidates by equal values (torch.equal)."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "leaf_matched_by_value"

import collections

import torch


def leaves_receiving_grad(out, candidates):
    reached, queue, seen = [], collections.deque([out.grad_fn]), set()
    while queue:
        node = queue.popleft()
        if node is None or node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)
        if variable is not None:
            reached.append(variable.detach())
        queue.extend(fn for fn, _ in node.next_functions)
    return [any(c.shape == r.shape and torch.equal(c.detach(), r) for r in reached)
            for c in candidates]
