"""Checks for retain_graph (保留计算图): backward more than once on one graph."""

from __future__ import annotations

import pytest
import torch

from hypothesis import example
from hypothesis import strategies as st

from checks.diagnose import FEATURES, has_zero, matches, raised, scaled, size, when
from checks.expect import Case, tensor
from checks.recipe_strategies import dtype_name, leaf, node_lists, op, recipe, scalar_out
from checks.strategies import floats, matrices, vectors
from gradkit.testing import given, text

TOPIC = "retain_graph"


# -- backward_twice -------------------------------------------------------------------------

@st.composite
def twice_graphs(draw):
    """A random graph from one leaf x (node 0) that requires grad, ending in
    z = tanh(...).sum(): tanh keeps its output for backward, so a second
    backward without retain_graph=True raises."""
    nodes = draw(node_lists(max_leaves=3, max_ops=5, only_first_requires_grad=True))
    return nodes, draw(scalar_out(nodes, through_tanh=True))


def _backward_twice(case: Case, z: int):
    nodes = case.build()
    (grad,) = torch.autograd.grad(nodes[z], nodes[0])
    case.diagnoses = [raised("graph_freed", "backward through the graph a second time"),
                      raised("grad_read_while_none", "'NoneType' object")]
    reply = case.run()
    # Half the gradient: one pass only, or two with .grad zeroed (or replaced) between them.
    twice = (reply.facts.get("backward_calls") or 0) >= 2
    case.diagnoses.append(scaled("zeroed_between_backwards" if twice else "single_backward", 0.5))
    case.expect_tensor(reply.value, 2 * grad, "x.grad")


@pytest.mark.grades(TOPIC, "backward_twice")
def test_backward_twice_worked_example(student, device):
    """The seeds' example: y = x², x = 1, two backward passes leave x.grad = 2 + 2 = 4."""
    graph = recipe([leaf(1.0, True), op("pow", 0, k=2)], device, "float32")
    _backward_twice(Case(student, TOPIC, "backward_twice", None, None, graph=graph,
                         bind={0: 1, 1: 0}), 1)


@pytest.mark.grades(TOPIC, "backward_twice")
@pytest.mark.parametrize("start", [1.0, -1.5])
def test_backward_twice_by_backward(student, device, start):
    """Two backward passes on the one graph: backward count 2, and x.grad filled with 2·∂z/∂x."""
    graph = recipe([leaf([start, 2.0], True), op("pow", 0, k=2), op("sum", 1)], device, "float32")
    case = Case(student, TOPIC, "backward_twice", None, None, graph=graph, bind={0: 2, 1: 0})
    reply = case.run()
    grad = reply.facts.get("arg_grads", {}).get("1", {}).get("grad")
    if grad is None:
        case.fail(text("rule.grad_not_filled", name="x"), misconception="formula_instead_of_backward")
    calls = reply.facts.get("backward_calls")
    if calls != 2:
        case.fail(text("rule.backward_count", calls=calls, expected=2), expected=2, got=calls,
                  misconception="backward_count_wrong")


@pytest.mark.grades(TOPIC, "backward_twice", weight=2)
@given(drawn=twice_graphs())
def test_backward_twice_doubles_the_gradient(student, device, dtype, drawn):
    """x.grad = 2·∂z/∂x on random graphs, and the second backward does not raise."""
    nodes, z = drawn
    case = Case(student, TOPIC, "backward_twice", None, None,
                graph=recipe(nodes, device, dtype_name(dtype)), bind={0: z, 1: 0})
    _backward_twice(case, z)


# -- two_losses_grads ------------------------------------------------------------------------

@st.composite
def shared_graphs(draw):
    """h = tanh(W x); loss1 = Σh; loss2 = mean(h²), W (k, d) the only leaf requiring grad."""
    k, d = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return [leaf(draw(matrices(k, d, -1, 1)), True), leaf(draw(vectors(d, -2, 2))),
            op("matmul", 0, 1), op("tanh", 2), op("sum", 3), op("pow", 3, k=2), op("mean", 5)]


@pytest.mark.grades(TOPIC, "two_losses_grads", weight=2)
@given(nodes=shared_graphs())
def test_two_losses_grads_each_its_own(student, device, dtype, nodes):
    """(∂loss1/∂W, ∂loss2/∂W), each the gradient of its own loss alone."""
    case = Case(student, TOPIC, "two_losses_grads", None, None, None,
                graph=recipe(nodes, device, dtype_name(dtype)), bind={0: 4, 1: 6, 2: 0})
    built = case.build()
    expected = (torch.autograd.grad(built[4], built[0], retain_graph=True)[0],
                torch.autograd.grad(built[6], built[0])[0])
    case.diagnoses = [matches("grads_accumulated", lambda: (expected[0], expected[0] + expected[1])),
                      matches("grad_aliased", lambda: (expected[1], expected[1])),
                      raised("graph_freed", "backward through the graph a second time"),
                      raised("grad_read_while_none", "'NoneType' object")]
    case.expect_tensors(case.run().value, expected, ("dloss1/dW", "dloss2/dW"))


# -- second_derivative ------------------------------------------------------------------------

def second_derivative_ref(coeffs: torch.Tensor, x: torch.Tensor):
    """p''(x) = Σ k(k−1)·c_k·x^(k−2), in float64; and the size of its largest term."""
    c, xd = coeffs.double().cpu(), x.double().cpu()
    terms = [k * (k - 1) * c[k] * xd ** (k - 2) for k in range(2, len(c))]
    total = sum(terms, torch.zeros_like(xd))
    scale = max([1.0] + [t.abs().max().item() for t in terms])
    return total.to(x.dtype).to(x.device), scale


def first_derivative(coeffs: torch.Tensor, x: torch.Tensor):
    return sum((k * coeffs[k] * x ** (k - 1) for k in range(1, len(coeffs))), torch.zeros_like(x))


def _second_derivative(case: Case):
    coeffs, x = case.args
    expected, scale = second_derivative_ref(coeffs, x)
    case.diagnoses = [
        matches("first_for_second", lambda: first_derivative(coeffs, x)),
        when("nan_at_zero", lambda got, want: bool(torch.isnan(got.cpu()[x.cpu() == 0]).any()))]
    # "does not require grad" raised: below degree 2 only (second_grad_unused), or at every
    # degree (create_graph_forgotten): told apart by the wrong variants (checks/variants.py),
    # which see every example.
    case.expect_tensor(case.run().value, expected, "p''(x)", scale=scale)


@pytest.mark.grades(TOPIC, "second_derivative")
@pytest.mark.parametrize("coeffs, x", [
    ([0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 2.0]),   # p = x³: p'' = 6x
    ([5.0], [0.0, 1.0]),                        # degree 0: p'' = 0
    ([1.0, 2.0], [0.0, -1.0]),                  # degree 1: p'' = 0, p' does not depend on x
], ids=["cubic", "degree0", "degree1"])
def test_second_derivative_worked_examples(student, device, coeffs, x):
    """x³, a constant and a line (the last two have p'' = 0 everywhere, also at x = 0)."""
    case = Case(student, TOPIC, "second_derivative", tensor(coeffs, torch.float32, device),
                tensor(x, torch.float32, device))
    _second_derivative(case)


@st.composite
def polynomials(draw):
    coeffs = draw(st.integers(1, 6).flatmap(lambda k: vectors(k)))
    xs = draw(st.lists(st.one_of(st.just(0.0), floats(-2, 2)), min_size=1, max_size=6))
    return coeffs, xs


@pytest.mark.grades(TOPIC, "second_derivative", weight=2)
@given(poly=polynomials())
# Degree 5 surely, in both dtypes: a finite difference of p' is exact up to degree 3 and
# within float32's tolerance beyond; float64 (whose twin draws few examples) shows it.
@example(poly=([0.5, -1.0, 2.0, 0.25, 1.5, -0.75], [0.0, 1.5, -2.0, 0.3]))
def test_second_derivative_matches_analytic(student, device, dtype, poly):
    """p''(x) elementwise for degrees 0 to 5, x = 0 included."""
    coeffs, xs = poly
    case = Case(student, TOPIC, "second_derivative", tensor(coeffs, dtype, device),
                tensor(xs, dtype, device))
    _second_derivative(case)


@st.composite
def curved_polynomials(draw):
    """Degree 2 to 5 with a nonzero top coefficient: p'' needs autograd here (a correct
    answer may skip autograd for degree 0 or 1, where p'' is zero)."""
    coeffs, xs = draw(polynomials())
    coeffs = (coeffs + [1.0, 1.0])[:max(3, len(coeffs))]
    if coeffs[-1] == 0:
        coeffs[-1] = 1.0
    return coeffs, xs


@pytest.mark.grades(TOPIC, "second_derivative")
@given(fewer=True, poly=curved_polynomials())
def test_second_derivative_uses_autograd(student, device, poly):
    """Obtained with autograd (create_graph=True), not from the formula by hand."""
    coeffs, xs = poly
    case = Case(student, TOPIC, "second_derivative", tensor(coeffs, torch.float64, device),
                tensor(xs, torch.float64, device))
    if not case.run().facts.get("autograd_used"):
        case.fail(text("rule.no_autograd_for_second"), misconception="no_autograd_for_second")


# -- the features a failure profile reads (checks.diagnose.FEATURES) -----------------------------

FEATURES.declare(TOPIC, {
    "second_derivative": lambda coeffs, x: {"degree_le_1": size(coeffs) <= 2,
                                            "x_has_zero": has_zero(x)},
})
