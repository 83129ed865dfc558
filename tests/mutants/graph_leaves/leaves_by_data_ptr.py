"""Walks the graph correctly but matches candidates to reached leaves by data_ptr(): detach() views count."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "leaf_matched_by_storage"


def leaves_receiving_grad(out, candidates):
    ptrs, seen, stack = set(), set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            ptrs.add(node.variable.data_ptr())
        stack.extend(parent for parent, _ in node.next_functions)
    return [c.data_ptr() in ptrs for c in candidates]
