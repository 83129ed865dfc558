"""Checks for grad_accumulation (梯度累加与清零): .grad adds up until it is zeroed."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import example
from hypothesis import strategies as st

from checks.diagnose import FEATURES, matches, size, when
from checks.expect import Case, run_or_try_next, tensor
from checks.recipe_strategies import dtype_name, leaf, recipe
from checks.reference import autograd_grads
from checks.strategies import matrices, vectors
from gradkit.testing import given, text
from gradkit.answers import answer

TOPIC = "grad_accumulation"


# -- accumulated_grad -------------------------------------------------------------------------

@st.composite
def accumulation_cases(draw):
    m, d = draw(st.integers(1, 8)), draw(st.integers(1, 3))
    micro_batch = draw(st.integers(1, m + 2))  # uneven last chunks, and one chunk past m
    return draw(matrices(m, d, -2, 2)), draw(vectors(m)), draw(vectors(d)), micro_batch


def accumulation_case(student, raw, dtype, device) -> Case:
    X, y, w, micro_batch = raw
    return Case(student, TOPIC, "accumulated_grad", tensor(X, dtype, device),
                tensor(y, dtype, device), tensor(w, dtype, device), micro_batch)


@pytest.mark.grades(TOPIC, "accumulated_grad", weight=2)
@given(raw=accumulation_cases())
def test_accumulated_grad_equals_full_batch(student, device, dtype, raw):
    """w.grad after the micro-batches equals ∂/∂w of the full-batch mean((Xw − y)²)."""
    case = accumulation_case(student, raw, dtype, device)
    got = run_or_try_next(case, lambda: accumulation_case(student, _next_larger(raw), dtype, device),
                          _expect_accumulated, leaves=(2,))
    _expect_accumulated(case, got)


def _next_larger(raw):
    """The same rows repeated to the next m with a full micro-batch and a shorter last one,
    which holds the row of largest gradient (so that dropping it shows)."""
    X, y, w, micro_batch = raw
    m = max(micro_batch + 1, len(X) + 1) if micro_batch > 1 else len(X) + 1
    size = [abs(sum(a * b for a, b in zip(row, w)) - t) * sum(abs(a) for a in row)
            for row, t in zip(X, y)]
    rows = [i % len(X) for i in range(m - 1)] + [size.index(max(size))]
    return [X[i] for i in rows], [y[i] for i in rows], w, micro_batch


def _expect_accumulated(case: Case, got):
    X, y, w, micro_batch = case.args
    (expected,) = autograd_grads(lambda w: ((X @ w - y) ** 2).mean(), w)

    def chunked(weight):
        """The gradient when each chunk's mean loss is scaled by ``weight(chunk size)``."""
        chunks = zip(X.split(micro_batch), y.split(micro_batch))
        return autograd_grads(lambda w: sum(((Xb @ w - yb) ** 2).mean() * weight(len(yb))
                                            for Xb, yb in chunks), w)[0]
    n_chunks = math.ceil(X.shape[0] / micro_batch)
    case.diagnoses = [matches("chunk_mean_over_chunks", lambda: chunked(lambda size: 1 / n_chunks)),
                      matches("accumulation_unscaled", lambda: chunked(lambda size: 1.0))]
    case.expect_tensor(got, expected, "w.grad")


@pytest.mark.grades(TOPIC, "accumulated_grad")
@given(fewer=True, raw=accumulation_cases())
@example(raw=([[1.0], [2.0], [3.0]], [1.0, 0.0, -1.0], [0.5], 1))  # three micro-batches, surely
def test_accumulated_grad_one_backward_per_micro_batch(student, device, raw):
    """Runs backward once per micro-batch: ceil(m / micro_batch) times."""
    case = accumulation_case(student, raw, torch.float64, device)
    calls = case.run(leaves=(2,)).facts.get("backward_calls")
    chunks = math.ceil(case.args[0].shape[0] / case.args[3])
    if calls != chunks:
        case.fail(text("rule.backward_calls", calls=calls, chunks=chunks), expected=chunks,
                  got=calls, misconception="not_one_backward_per_chunk")


# -- grads_without_zeroing -------------------------------------------------------------------

def _snapshots(case: Case):
    x, k = case.args
    expected = torch.stack([2 * (i + 1) * x for i in range(k)])
    case.diagnoses = [matches("zeroed_each_step", lambda: torch.stack([2 * x] * k)),
                      matches("grad_aliased", lambda: torch.stack([2 * k * x] * k))]
    case.expect_tensor(case.run(leaves=(0,)).value, expected, text("what.snapshots"))


@pytest.mark.grades(TOPIC, "grads_without_zeroing")
def test_grads_without_zeroing_worked_example(student, device):
    """The seeds' example: y = x², x = 1, two backward passes: x.grad is 2, then 4."""
    _snapshots(Case(student, TOPIC, "grads_without_zeroing",
                    tensor([1.0], torch.float32, device), 2))


@pytest.mark.grades(TOPIC, "grads_without_zeroing")
@pytest.mark.parametrize("k", [1, 3])
def test_grads_without_zeroing_k_backward_passes(student, device, k):
    """k snapshots come from k backward passes, and x.grad ends at 2k·x."""
    case = Case(student, TOPIC, "grads_without_zeroing", tensor([1.0, -0.5], torch.float32, device), k)
    reply = case.run(leaves=(0,))
    calls = reply.facts.get("backward_calls")
    if calls != k:
        case.fail(text("rule.backward_count", calls=calls, expected=k), expected=k, got=calls,
                  misconception="backward_count_wrong")
    grad = reply.facts.get("arg_grads", {}).get("0", {}).get("grad")
    if grad is None:
        case.fail(text("rule.grad_not_filled", name="x"), misconception="formula_instead_of_backward")
    case.expect_tensor(grad, 2 * k * case.args[0], "x.grad")


@pytest.mark.grades(TOPIC, "grads_without_zeroing", weight=2)
@given(x=st.one_of(st.integers(1, 4).flatmap(vectors), matrices(2, 3)), k=st.integers(1, 5))
def test_grads_without_zeroing_adds_up(student, device, dtype, x, k):
    """Row i is x.grad after i + 1 backward passes of Σx²: 2x, 4x, ..., 2kx."""
    _snapshots(Case(student, TOPIC, "grads_without_zeroing", tensor(x, dtype, device), k))


# -- zero_grad ----------------------------------------------------------------------------------

@answer("zero_grad")
def reference_zero_grad(params: list[torch.Tensor], set_to_none: bool) -> None:
    """torch.optim.Optimizer.zero_grad's per-parameter rule, written out (building
    an optimizer in the grader would import torch._dynamo; tests/ holds this to
    the real one)."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()


@st.composite
def parameter_sets(draw):
    """Leaves requiring grad whose .grad is None, a plain tensor, or one with a graph."""
    nodes = []
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 3))
        kind = draw(st.sampled_from(["plain", None, "graph"]))
        extra = {"grad": kind, "grad_value": draw(vectors(n, -2, 2))} if kind else {}
        nodes.append(leaf(draw(vectors(n, -1, 1)), True, **extra))
    return nodes, draw(st.booleans())


# Every kind of .grad at once: one with a graph (create_graph=True), a plain one, none.
EVERY_GRAD_KIND = [leaf([1.0, 2.0], True, grad="graph", grad_value=[1.0, -1.0]),
                   leaf([3.0], True, grad="plain", grad_value=[2.0]), leaf([0.5], True)]


@pytest.mark.grades(TOPIC, "zero_grad")
@pytest.mark.parametrize("set_to_none", [False, True])
def test_zero_grad_every_kind_of_grad(student, device, set_to_none):
    """A grad with a graph, a plain grad and no grad, in one call."""
    test_zero_grad_like_the_optimizer.hypothesis.inner_test(
        student, device, torch.float32, (EVERY_GRAD_KIND, set_to_none))


@pytest.mark.grades(TOPIC, "zero_grad", weight=3)
@given(drawn=parameter_sets())
def test_zero_grad_like_the_optimizer(student, device, dtype, drawn):
    """Every .grad ends as Optimizer.zero_grad(set_to_none) leaves it: None, or the
    same tensor object zeroed in place, detached from any graph."""
    nodes, set_to_none = drawn
    case = Case(student, TOPIC, "zero_grad", None, set_to_none,
                graph=recipe(nodes, device, dtype_name(dtype)), bind={0: list(range(len(nodes)))})
    params = case.build()
    reference_zero_grad(params, set_to_none)
    facts = case.run().facts.get("arg_grads", {})
    for i, p in enumerate(params):
        _expect_zeroed(case, f"params[{i}] (t{i})", p.grad, facts.get(f"0.{i}", {}), set_to_none)


def _expect_zeroed(case: Case, who: str, expected, got: dict, set_to_none: bool):
    grad = got.get("grad")
    if expected is None:
        if grad is not None:
            case.fail(text("zero.none_flag" if set_to_none else "zero.none_before", who=who),
                      None, grad,
                      misconception="zero_grad_flag_ignored" if set_to_none else "zero_grad_new_tensor")
        return
    if grad is None:
        case.fail(text("zero.is_none", who=who), expected, None,
                  misconception="zero_grad_flag_ignored")
    if not got.get("same_object"):
        case.fail(text("zero.new_tensor", who=who), expected, grad,
                  misconception="zero_grad_new_tensor")
    # Values before the graph: a gradient left exactly as it was (set_to_none=False taken as
    # "nothing to do") still carries its graph, but the graph is not the mistake.
    case.diagnoses = [when("zero_grad_flag_ignored", lambda got, want: not set_to_none
                           and bool((want == 0).all()) and not bool((got == 0).all()))]
    case.expect_tensor(grad, expected, f"{who}.grad")
    if got.get("grad_has_grad_fn") or got.get("grad_requires_grad"):
        case.fail(text("zero.keeps_graph", who=who), misconception="zero_grad_keeps_graph")


# -- the features a failure profile reads (checks.diagnose.FEATURES) -----------------------------

FEATURES.declare(TOPIC, {
    "accumulated_grad": lambda X, y, w, micro_batch: {
        "batch_divides": size(X) % micro_batch == 0, "one_batch": micro_batch >= size(X)},
    "grads_without_zeroing": lambda x, k: {"one_step": k == 1},
})
