"""Collects the storages of the AccumulateGrad leaves and matches candidates by untyped_storage(): views and detach() count."""
BREAKS = "leaves_receiving_grad"
MISCONCEPTION = "leaf_matched_by_storage"


def leaves_receiving_grad(out, candidates):
    storages, visited, frontier = set(), set(), [out.grad_fn]
    while frontier:
        fn = frontier.pop()
        if fn is None or fn in visited:
            continue
        visited.add(fn)
        if fn.name().endswith("AccumulateGrad"):
            storages.add(fn.variable.untyped_storage().data_ptr())
        frontier += [f for f, _ in fn.next_functions]
    return [c.untyped_storage().data_ptr() in storages for c in candidates]
