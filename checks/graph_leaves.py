"""Checks for graph_leaves (计算图与叶子节点): is_leaf, grad_fn, which leaves get .grad.

Graphs are drawn as recipes; the worker builds one for the student's function
and the grader builds the same one to find the truth with torch itself.
"""

from __future__ import annotations

from collections import deque

import pytest
import torch

from hypothesis import strategies as st

from checks.diagnose import matches, raised, when
from checks.expect import Case, tensor
from checks.recipe_strategies import branching_graphs, leaf, node_lists, op, recipe, scalar_out
from checks.strategies import matrices, vectors
from gradkit.testing import given, text
from gradkit.answers import answer, kit_only

TOPIC = "graph_leaves"


def reference_names(t: torch.Tensor) -> list[str]:
    """Breadth-first over next_functions, in order, skipping None, each node once."""
    return _walk(t, depth_first=False, dedupe=True)


@answer("grad_fn_names")
def _walk(t: torch.Tensor, depth_first: bool, dedupe: bool, list_repeats: bool = False) -> list[str]:
    """The names of the nodes reachable from t.grad_fn, in visiting order. Breadth-first
    with each node once is the reference (a node's first visit comes in the order it was
    first queued); depth-first, or not remembering nodes, are the known wrong walks the
    diagnoses recognise (capped, as forgetting nodes can repeat them without end);
    ``list_repeats``: each node expanded once but listed every time it is reached."""
    order, seen, todo = [], set(), deque([t.grad_fn] if t.grad_fn is not None else [])
    while todo and len(order) < 500:
        node = todo.pop() if depth_first else todo.popleft()
        if dedupe and node in seen:
            if list_repeats:
                order.append(node.name())
            continue
        seen.add(node)
        order.append(node.name())
        parents = [p for p, _ in node.next_functions if p is not None]
        todo.extend(reversed(parents) if depth_first else parents)
    return order


@kit_only
def _depth_first_marked_on_push(t: torch.Tensor) -> list[str]:
    """A stack walk that marks a node seen when it is pushed, not when it is visited:
    another depth-first order (a shared node is listed where it was first pushed)."""
    if t.grad_fn is None:
        return []
    order, seen, stack = [], {t.grad_fn}, [t.grad_fn]
    while stack and len(order) < 500:
        node = stack.pop()
        order.append(node.name())
        for p in reversed([p for p, _ in node.next_functions if p is not None]):
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return order


def _same_walk(got, walk: list[str]) -> bool:
    """``got`` is that walk; past the walk's cap of 500 names, its first 500 are."""
    if not isinstance(got, (list, tuple)):
        return False
    got = list(got)
    return got == walk or (len(walk) >= 500 and got[:len(walk)] == walk)


@kit_only
def names_diagnoses(t: torch.Tensor):
    return [matches("depth_first_order", lambda: _walk(t, depth_first=True, dedupe=True)),
            matches("depth_first_order", lambda: _depth_first_marked_on_push(t)),
            when("shared_node_repeated", lambda got, expected: _same_walk(
                got, _walk(t, depth_first=False, dedupe=False)) or _same_walk(
                got, _walk(t, depth_first=False, dedupe=True, list_repeats=True))),
            raised("none_entries_kept", "'NoneType' object has no attribute"),
            when("none_entries_kept", _none_listed)]


def _none_listed(got, expected) -> bool:
    """The right names with None entries (or their name, "None") kept among them."""
    if not isinstance(got, (list, tuple)):
        return False
    nones = [g for g in got if g is None or g == "None"]
    return bool(nones) and [g for g in got if g is not None and g != "None"] == list(expected)


def leaves_diagnoses(candidates: list[torch.Tensor]):
    return [matches("unused_leaf_gets_grad",
                    lambda: [c.requires_grad and c.grad_fn is None for c in candidates]),
            matches("non_leaf_gets_grad", lambda: [c.requires_grad for c in candidates])]


def receives_grad(nodes: list[torch.Tensor], out: int, candidates: list[int]) -> list[bool]:
    """What out.backward() really fills in, found by running it."""
    nodes[out].backward()
    # Only a leaf keeps .grad; reading a non-leaf's .grad would only warn.
    return [nodes[c].is_leaf and nodes[c].grad is not None for c in candidates]


@st.composite
def one_node(draw):
    """A graph and any one of its nodes (shrinking toward the first leaf)."""
    nodes = draw(node_lists())
    return nodes, draw(st.integers(0, len(nodes) - 1))


@st.composite
def out_and_candidates(draw):
    nodes = draw(node_lists())
    out = draw(scalar_out(nodes))
    candidates = draw(st.lists(st.integers(0, out - 1), min_size=1, max_size=5, unique=True))
    return nodes, out, candidates


# The seeds' example (t6, y6, z6, t7, t8_), with a no_grad block added.
SEEDS_GRAPH = [
    leaf(1.0, True),                  # t0 = torch.tensor(1., requires_grad=True)
    op("pow", 0, k=2),                # t1 = t0 ** 2
    op("pow", 1, k=2),                # t2 = t1 ** 2
    leaf(1.0),                        # t3 = torch.tensor(1.)
    op("detach", 0),                  # t4 = t0.detach()
    op("mul", 0, 1, no_grad=True),    # with torch.no_grad(): t5 = t0 * t1
    op("add", 1, 3),                  # t6 = t1 + t3
]
SEEDS_LEAF = [True, False, False, True, True, True, False]


# -- is_leaf ----------------------------------------------------------------------------

def _is_leaf_case(student, graph: dict, node: int) -> Case:
    case = Case(student, TOPIC, "is_leaf", None, graph=graph, bind={0: node})
    t = case.build()[node]
    case.diagnoses.append(when("view_not_leaf", lambda got, expected: got is False and expected is True
                               and t._base is not None))
    case.diagnoses.append(when("leaf_means_no_grad", lambda got, expected: got is not t.requires_grad))
    return case


@pytest.mark.grades(TOPIC, "is_leaf")
def test_is_leaf_worked_example(student, device):
    """The seeds' leaves: created tensors (with or without requires_grad), detach(), no_grad."""
    for node, expected in enumerate(SEEDS_LEAF):
        case = _is_leaf_case(student, recipe(SEEDS_GRAPH, device), node)
        case.expect_bool(case.run().value, expected)


# Views are leaves when nothing tracks them: a view made under no_grad, views and an index of
# a tensor that needs no grad (each has a ._base; none has a grad_fn).
VIEWS_GRAPH = [leaf([1.0, 2.0], True), leaf([3.0, 4.0]), op("view", 0, no_grad=True),
               op("view", 1), op("index", 1, i=1)]


@pytest.mark.grades(TOPIC, "is_leaf")
def test_is_leaf_views_without_a_graph(student, device):
    """Views and indexing with no graph behind them are leaves too."""
    for node in range(len(VIEWS_GRAPH)):
        case = _is_leaf_case(student, recipe(VIEWS_GRAPH, device), node)
        case.expect_bool(case.run().value, True)


@pytest.mark.grades(TOPIC, "is_leaf", weight=2)
@given(drawn=one_node())
def test_is_leaf_matches_torch(student, device, drawn):
    """Equals t.is_leaf on random graphs."""
    nodes, i = drawn
    case = _is_leaf_case(student, recipe(nodes, device), i)
    case.expect_bool(case.run().value, case.build()[i].is_leaf)


@pytest.mark.grades(TOPIC, "is_leaf")
@given(fewer=True, drawn=one_node())
def test_is_leaf_does_not_read_is_leaf(student, device, drawn):
    """Works it out from grad_fn, without reading .is_leaf."""
    nodes, i = drawn
    case = Case(student, TOPIC, "is_leaf", None, graph=recipe(nodes, device), bind={0: i})
    if case.run().facts.get("is_leaf_read"):
        case.fail(text("rule.read_is_leaf"), misconception="read_is_leaf")


# -- grad_fn_names -----------------------------------------------------------------------

ACC = "torch::autograd::AccumulateGrad"  # what a leaf's node calls itself
NAMES_EXAMPLES = {
    # The seeds' z1 = t1 ** 2 + 1: the constant's slot in next_functions is None.
    "chain": ([leaf(1.0, True), op("pow", 0, k=2), leaf(1.0), op("add", 1, 2)],
              ["AddBackward0", "PowBackward0", ACC]),
    # Two branches: breadth-first visits both Mul and Tanh before any leaf.
    "branches": ([leaf([1.0, 2.0], True), leaf([3.0, 4.0], True), op("mul", 0, 1),
                  op("tanh", 0), op("add", 2, 3)],
                 ["AddBackward0", "MulBackward0", "TanhBackward0", ACC,
                  ACC]),
    # x * x: one AccumulateGrad reached twice, listed once.
    "shared": ([leaf([1.0], True), op("mul", 0, 0), op("sum", 1)],
               ["SumBackward0", "MulBackward0", ACC]),
    "leaf": ([leaf([1.0], True)], []),
}


@pytest.mark.grades(TOPIC, "grad_fn_names")
@pytest.mark.parametrize("example", NAMES_EXAMPLES)
def test_grad_fn_names_worked_examples(student, device, example):
    """A chain with a constant, two branches, a shared node, a leaf."""
    nodes, expected = NAMES_EXAMPLES[example]
    _expect_names(student, recipe(nodes, device), len(nodes) - 1, expected)


@pytest.mark.grades(TOPIC, "grad_fn_names", weight=2)
@given(drawn=branching_graphs())
def test_grad_fn_names_breadth_first(student, device, drawn):
    """Breadth-first over next_functions on random branching graphs, None skipped, each
    node once."""
    nodes, i = drawn
    _expect_names(student, recipe(nodes, device), i)


def _expect_names(student, graph: dict, node: int, expected=None):
    case = Case(student, TOPIC, "grad_fn_names", None, graph=graph, bind={0: node})
    t = case.build()[node]
    case.diagnoses = names_diagnoses(t)
    want = reference_names(t) if expected is None else expected
    case.expect_list(case.run().value, want, text("what.names"), str)


# -- leaves_receiving_grad ------------------------------------------------------------------

# out = (t0 * t2).sum(): t1 requires grad but is not used; t2 needs no grad; t3 is not a leaf.
UNUSED_LEAF = [leaf([1.0, 2.0], True), leaf([1.0, 1.0], True), leaf([3.0, 4.0]), op("mul", 0, 2),
               op("sum", 3)]


@pytest.mark.grades(TOPIC, "leaves_receiving_grad")
def test_leaves_receiving_grad_worked_example(student, device):
    """A used leaf, an unused one, a constant and an intermediate node."""
    _expect_leaves(student, recipe(UNUSED_LEAF, device), 4, [0, 1, 2, 3])


# Candidates that look like the used leaf t0 without being it: its detach() (same storage),
# a view of it taken under no_grad (same storage), an unused leaf with equal values.
LOOKALIKES = {
    "detach and no_grad views": (
        [leaf([1.0, 2.0], True), op("detach", 0), op("view", 0, no_grad=True),
         leaf([1.0, 2.0], True), op("mul", 0, 0), op("sum", 4)], 5, [0, 1, 2, 3]),
    "look-alikes first": (
        [leaf([3.0], True), leaf([3.0], True), op("detach", 1), op("index", 1, i=0, no_grad=True),
         op("tanh", 1), op("sum", 4)], 5, [0, 2, 3, 1]),
}


@pytest.mark.grades(TOPIC, "leaves_receiving_grad")
@pytest.mark.parametrize("example", LOOKALIKES)
def test_leaves_receiving_grad_lookalikes(student, device, example):
    """A leaf is itself, not its storage or its values: detach() and no_grad views of a used
    leaf, and an unused leaf with the same values, receive nothing."""
    nodes, out, candidates = LOOKALIKES[example]
    case = Case(student, TOPIC, "leaves_receiving_grad", None, None, graph=recipe(nodes, device),
                bind={0: out, 1: candidates})
    built = case.build()
    built[out].backward()  # the leaves a real backward fills: what look-alikes are matched to
    picked, reached = [built[c] for c in candidates], [t for t in built if t.is_leaf
                                                       and t.grad is not None]
    case.diagnoses = leaves_diagnoses(picked) + [
        matches("leaf_matched_by_storage", lambda: [
            any(c.data_ptr() == r.data_ptr() for r in reached) for c in picked]),
        matches("leaf_matched_by_value", lambda: [
            any(c.shape == r.shape and torch.equal(c.detach(), r.detach()) for r in reached)
            for c in picked])]
    expected = receives_grad(case.build(), out, candidates)
    case.expect_list(case.run().value, expected, text("what.list"), bool)


@pytest.mark.grades(TOPIC, "leaves_receiving_grad", weight=2)
@given(drawn=out_and_candidates())
def test_leaves_receiving_grad_matches_backward(student, device, drawn):
    """Exactly the candidates whose .grad a real out.backward() fills in."""
    nodes, out, candidates = drawn
    _expect_leaves(student, recipe(nodes, device), out, candidates)


def _expect_leaves(student, graph: dict, out: int, candidates: list[int]):
    case = Case(student, TOPIC, "leaves_receiving_grad", None, None, graph=graph,
                bind={0: out, 1: candidates})
    built = case.build()
    case.diagnoses = leaves_diagnoses([built[c] for c in candidates])
    expected = receives_grad(case.build(), out, candidates)  # a fresh copy: backward runs on it
    case.expect_list(case.run().value, expected, text("what.list"), bool)


@pytest.mark.grades(TOPIC, "leaves_receiving_grad")
@given(fewer=True, drawn=out_and_candidates())
def test_leaves_receiving_grad_without_backward(student, device, drawn):
    """Finds the answer by walking the graph, without running backward."""
    nodes, out, candidates = drawn
    case = Case(student, TOPIC, "leaves_receiving_grad", None, None,
                graph=recipe(nodes, device), bind={0: out, 1: candidates})
    if case.run().facts.get("autograd_used"):
        case.fail(text("rule.ran_backward"), misconception="ran_backward_to_look")


# -- intermediate_grad ------------------------------------------------------------------------

# y.grad read (y.grad.clone(), ...) while None: retain_grad() missing, or called after backward.
READ_WHILE_NONE = [raised("retain_grad_missing", "'NoneType' object")]


@pytest.mark.grades(TOPIC, "intermediate_grad")
def test_intermediate_grad_worked_example(student, device):
    """The seeds' t3 example: x = 1 gives x.grad = 4 and y.grad = 2."""
    case = Case(student, TOPIC, "intermediate_grad", tensor(1.0, torch.float32, device),
                diagnoses=READ_WHILE_NONE)
    _expect_intermediate(case, case.run(leaves=(0,)).value)


@pytest.mark.grades(TOPIC, "intermediate_grad", weight=2)
@given(values=st.one_of(vectors(3, -2, 2), matrices(2, 2, -2, 2), st.integers(1, 5).flatmap(
    lambda n: vectors(n, -2, 2))))
def test_intermediate_grad_values(student, device, dtype, values):
    """(∂z/∂x, ∂z/∂y) = (4x³, 2y) for z = Σ (x²)², any shape."""
    case = Case(student, TOPIC, "intermediate_grad", tensor(values, dtype, device),
                diagnoses=READ_WHILE_NONE)
    _expect_intermediate(case, case.run(leaves=(0,)).value)


@pytest.mark.grades(TOPIC, "intermediate_grad")
@pytest.mark.parametrize("values", [[1.0, -2.0], [[0.5, 1.5], [-1.0, 2.0]]])
def test_intermediate_grad_by_backward(student, device, values):
    """One backward fills x.grad (= 4x³): the gradients come from autograd, not a formula."""
    case = Case(student, TOPIC, "intermediate_grad", tensor(values, torch.float32, device))
    reply = case.run(leaves=(0,))
    x = case.args[0]
    grad = reply.facts.get("arg_grads", {}).get("0", {}).get("grad")
    if grad is None:
        case.fail(text("rule.grad_not_filled", name="x"), misconception="formula_instead_of_backward")
    case.expect_tensor(grad, 4 * x ** 3, "x.grad")


def _expect_intermediate(case: Case, got):
    x = case.args[0]
    expected = (4 * x ** 3, 2 * x ** 2)
    if isinstance(got, (tuple, list)) and len(got) == 2 and got[1] is None:
        case.fail(text("graph.retain_grad_missing"), expected, tuple(got),
                  misconception="retain_grad_missing")
    case.expect_tensors(got, expected, ("dz/dx", "dz/dy"))
