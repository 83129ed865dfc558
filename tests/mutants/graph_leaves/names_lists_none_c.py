"""Level by level over next_functions, writing an input that needs no grad as the name
"None" instead of skipping it."""
BREAKS = "grad_fn_names"
MISCONCEPTION = "none_entries_kept"


def grad_fn_names(t):
    if t.grad_fn is None:
        return []
    names, seen, level = [], set(), [t.grad_fn]
    while level:
        following = []
        for fn in level:
            if fn is None:
                names.append("None")
                continue
            if fn in seen:
                continue
            seen.add(fn)
            names.append(fn.name())
            following.extend(p for p, _ in fn.next_functions)
        level = following
    return names
