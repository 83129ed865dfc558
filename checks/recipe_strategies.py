"""Hypothesis strategies for autograd graphs, drawn as recipes (see ``gradkit.untrusted.recipes``).

Draws shrink toward short chains on the newest node, so the smallest failing
graph a student sees is a few lines of code. Every node is a vector of length n
or a scalar; values stay in [-1, 1] at the leaves.
"""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

from gradkit.testing import recipes

# Simplest first: hypothesis shrinks a choice toward the first entry.
OPS = ("mul", "add", "sum", "tanh", "pow", "mean", "view", "index", "matmul", "detach")
NEEDS_VECTOR = {"index", "matmul"}
# Leaf values: multiples of 1/4 in [-1, 1], exact in float32 and short to read.
quarters = st.integers(-4, 4).map(lambda k: k / 4)


def leaf(value, requires_grad=False, **extra) -> dict:
    return {"op": "leaf", "value": value, "requires_grad": requires_grad, **extra}


def op(name: str, *args: int, **extra) -> dict:
    return {"op": name, "args": list(args), **extra}


def recipe(nodes: list[dict], device: str, dtype: str = "float64") -> dict:
    return {"dtype": dtype, "device": device, "nodes": nodes}


def _newest(draw, choices: list[int]) -> int:
    """One of the last four choices: ops mostly build on recent nodes, so graphs get deep."""
    return choices[-1 - draw(st.integers(0, min(3, len(choices) - 1)))]


@st.composite
def node_lists(draw, max_leaves: int = 4, max_ops: int = 7, only_first_requires_grad=False):
    """Leaves, then ops on earlier nodes: shared nodes, detach and no_grad included."""
    n = draw(st.integers(1, 3))
    nodes, dims = [], []
    for i in range(draw(st.integers(1, max_leaves))):
        # Mostly requiring grad (a graph worth walking); shrinks toward False.
        requires = i == 0 if only_first_requires_grad else draw(st.integers(0, 3)) != 0
        nodes.append(leaf(draw(st.lists(quarters, min_size=n, max_size=n)), requires))
        dims.append(1)
    for _ in range(draw(st.integers(1, max_ops))):
        name = draw(st.sampled_from(OPS))
        vectors_ = [i for i, d in enumerate(dims) if d == 1]
        pool = vectors_ if name in NEEDS_VECTOR else list(range(len(nodes)))
        if not pool:
            name, pool = "tanh", list(range(len(nodes)))
        a = _newest(draw, pool)
        extra = {}
        if name in ("add", "mul", "matmul"):
            # The second input from anywhere (shrinking toward the first leaf): branches,
            # so breadth-first and depth-first orders differ; the same node twice: sharing.
            args = (a, pool[draw(st.integers(0, len(pool) - 1))])
        else:
            args = (a,)
        if name == "pow":
            extra["k"] = draw(st.sampled_from([2, 3]))
        if name == "index":
            extra["i"] = draw(st.integers(0, n - 1))
        if draw(st.integers(0, 5)) == 0:
            extra["no_grad"] = True
        nodes.append(op(name, *args, **extra))
        dims.append(0 if name in ("sum", "mean", "index", "matmul")
                    else max(dims[i] for i in args))
    return nodes


@st.composite
def scalar_out(draw, nodes: list[dict], through_tanh: bool = False) -> int:
    """Append ``out = tᵢ.sum()`` (or ``torch.tanh(tᵢ).sum()``, whose backward needs
    a saved tensor) for a node tᵢ that requires grad; out's index."""
    flags = recipes.requires_grad(nodes)
    choices = [i for i, f in enumerate(flags) if f]
    assume(choices)
    source = _newest(draw, choices)
    if through_tanh:
        nodes.append(op("tanh", source))
        source = len(nodes) - 1
    nodes.append(op("sum", source))
    return len(nodes) - 1


def dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


@st.composite
def walked_node(draw, nodes: list[dict]) -> int:
    """A node with a grad_fn (an op result that requires grad), the newest preferred."""
    flags = recipes.requires_grad(nodes)
    choices = [i for i, f in enumerate(flags) if f and nodes[i]["op"] != "leaf"]
    assume(choices)
    return _newest(draw, choices)


UNARY_CHAIN = ("tanh", "pow", "sum", "mean", "view")


@st.composite
def branching_graphs(draw):
    """top = left ∘ right, where left is a random graph's node with a grad_fn and right
    a chain of 1-3 unary ops on another node: the two subgraphs differ in depth, so a
    depth-first walk lists nodes in another order than breadth-first. More random
    nodes may follow (they are not reachable from top). Returns (nodes, top)."""
    nodes = draw(node_lists(max_ops=4))
    left = draw(walked_node(nodes))
    right = draw(st.integers(0, len(nodes) - 1))
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(UNARY_CHAIN))
        nodes.append(op(name, right, **({"k": 2} if name == "pow" else {})))
        right = len(nodes) - 1
    nodes.append(op(draw(st.sampled_from(["add", "mul"])), left, right))
    return nodes, len(nodes) - 1
