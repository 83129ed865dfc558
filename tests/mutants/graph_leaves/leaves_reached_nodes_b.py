"""Walks the graph, then reports a candidate whose own grad_fn was reached as receiving grad: intermediate tensors included."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "non_leaf_gets_grad"


def leaves_receiving_grad(out, candidates):
    seen, leaves, stack = set(), [], [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            leaves.append(node.variable)
        stack.extend(p for p, _ in node.next_functions)
    return [c.grad_fn in seen or any(c is leaf for leaf in leaves) for c in candidates]
