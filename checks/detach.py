"""Checks for detach (detach 与 no_grad): cutting the graph on purpose."""

from __future__ import annotations

import pytest
import torch

from hypothesis import strategies as st

from checks.contract import sample_args, untouched_check
from checks.diagnose import FEATURES, Diagnosis, has_zero, matches, raised, size, when
from checks.expect import Case, tensor
from checks.tolerance import tensor_problem
from checks.reference import autograd_grads
from checks.strategies import floats, matrices, vectors
from checks.variants import Upstream
from gradkit.testing import given, text
from gradkit.answers import answer

TOPIC = "detach"


# -- stop_gradient_grads ---------------------------------------------------------------------

@pytest.mark.grades(TOPIC, "stop_gradient_grads", weight=2)
@given(ab=st.integers(1, 5).flatmap(lambda n: st.tuples(vectors(n), vectors(n))))
def test_stop_gradient_grads(student, device, dtype, ab):
    """a.grad of mean((a − b.detach())²), and b.grad None, returned and on the real b."""
    case = Case(student, TOPIC, "stop_gradient_grads", *(tensor(v, dtype, device) for v in ab))
    a, b = case.args
    (expected,) = autograd_grads(lambda a: ((a - b) ** 2).mean(), a)
    case.diagnoses = [raised("grad_read_while_none", "'NoneType' object")]
    reply = case.run(leaves=(0, 1))
    got = reply.value
    b_grad = reply.facts.get("arg_grads", {}).get("1", {}).get("grad")
    if isinstance(got, (tuple, list)) and len(got) == 2 and got[0] is None:
        case.fail(text("detach.a_grad_none"), (expected, None), tuple(got),
                  misconception="detached_wrong_side")
    if isinstance(got, (tuple, list)) and len(got) == 2 and got[1] is not None:
        # Zeros made up for a b.grad that is None: the graph is right, the return is not.
        made_up = b_grad is None and isinstance(got[1], torch.Tensor) and not bool(got[1].any())
        case.fail(text("detach.b_grad_returned"), (expected, None), tuple(got),
                  misconception="zeros_returned_for_none" if made_up else "detach_no_effect")
    if b_grad is not None:
        case.fail(text("detach.b_grad_filled"), misconception="detach_no_effect")
    _expect_pair(case, got, expected)
    a_grad = reply.facts.get("arg_grads", {}).get("0", {}).get("grad")
    if a_grad is None:
        case.fail(text("rule.grad_not_filled", name="a"), misconception="formula_instead_of_backward")
    if tensor_problem(a_grad, expected, "a.grad", None):
        case.fail(text("rule.grad_wrong", name="a"), misconception="formula_instead_of_backward")


def _expect_pair(case: Case, got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        case.fail(text("detach.pair"), (expected, None), got)
    case.expect_tensor(got[0], expected, "a.grad")


# -- straight_through_round --------------------------------------------------------------------

half_integers = st.integers(-8, 7).map(lambda k: k + 0.5)


@st.composite
def rounding_cases(draw):
    """Values with half-integers (torch rounds half to even), and a random upstream gradient."""
    n = draw(st.integers(1, 6))
    x = draw(st.lists(st.one_of(half_integers, floats(-4, 4)), min_size=n, max_size=n))
    # Upstream gradients away from zero and never all ones (ones would hide mixed-up elements).
    upstream = st.tuples(st.sampled_from([1.0, -1.0]), floats(0.125, 2)).map(lambda p: p[0] * p[1])
    return x, draw(st.lists(upstream, min_size=n, max_size=n))


@pytest.mark.grades(TOPIC, "straight_through_round")
def test_straight_through_round_half_to_even(student, device):
    """round(0.5) = 0, round(1.5) = 2, round(2.5) = 2, round(-0.5) = -0: half to even."""
    _expect_rounded(student, tensor([0.5, 1.5, 2.5, -0.5, -1.5, 0.4999], torch.float32, device))


def _expect_rounded(student, x: torch.Tensor):
    case = Case(student, TOPIC, "straight_through_round", x)
    case.diagnoses = [matches("round_half_up", lambda: torch.floor(x + 0.5))]
    case.expect_tensor(case.run(leaves=(0,)).value, torch.round(x), text("what.value"))


@pytest.mark.grades(TOPIC, "straight_through_round", weight=2)
@given(raw=rounding_cases())
def test_straight_through_round_value(student, device, dtype, raw):
    """The value is torch.round(x)."""
    _expect_rounded(student, tensor(raw[0], dtype, device))


@pytest.mark.grades(TOPIC, "straight_through_round", weight=2)
@given(raw=rounding_cases())
def test_straight_through_round_identity_gradient(student, device, dtype, raw):
    """With a random upstream gradient v, the gradient reaching x is v itself."""
    x, v = raw
    case = Case(student, TOPIC, "straight_through_round", tensor(x, dtype, device))
    cotangent = tensor(v, dtype, device)
    case.judged_args = [case.args[0], Upstream(cotangent)]  # the variants answer with a gradient
    reply = case.run(leaves=(0,), vjp={"wrt": 0, "cotangent": cotangent})
    probe = reply.facts.get("vjp", {})
    problem = probe.get("problem")
    if problem in ("not_tensor", "no_grad_fn", "shape"):
        case.fail(text(f"round.{problem}"), misconception=None if _x_itself(case, reply)
                  else "straight_through_cut")
    if problem == "raised":
        case.fail(text("round.raised", error=probe.get("message")))
    grad = probe.get("grad")
    if grad is None or (grad == 0).all():  # the upstream has no zeros
        case.fail(text("round.zero_grad"), cotangent, grad, misconception="round_zero_grad")
    case.expect_tensor(grad, cotangent, text("what.upstream"))


def _x_itself(case: Case, reply) -> bool:
    """x itself came back (changed in place, as x.data = round(x) does, or as it was): a
    leaf has no grad_fn without being a detached copy, so "detached as a whole" is no name
    for it."""
    x, value = case.args[0], reply.value
    return 0 in reply.mutated or (isinstance(value, torch.Tensor) and value.shape == x.shape
                                  and torch.equal(value.cpu(), x.cpu()))


# -- predict --------------------------------------------------------------------------------------

@st.composite
def predict_cases(draw):
    return draw(floats()), draw(floats()), draw(st.integers(1, 6).flatmap(vectors))


@pytest.mark.grades(TOPIC, "predict", weight=2)
@given(raw=predict_cases())
def test_predict_without_a_graph(student, device, dtype, raw):
    """w·x + b, with no grad_fn and requires_grad False, though w and b require grad."""
    case = Case(student, TOPIC, "predict", *(tensor(v, dtype, device) for v in raw))
    w, b, x = case.args
    got = case.run(leaves=(0, 1)).value
    meta = getattr(got, "gk_meta", None)
    if meta is not None and meta.has_grad_fn:
        case.fail(text("predict.graph"), misconception="predict_tracks_graph")
    if meta is not None and meta.requires_grad:
        # No grad_fn, yet requires_grad: computed without a graph, then marked requires_grad_().
        case.fail(text("predict.requires_grad"), misconception="predict_requires_grad_set")
    case.expect_tensor(got, w * x + b, text("what.prediction"))


# -- frozen_step ------------------------------------------------------------------------------------

@st.composite
def frozen_cases(draw):
    n, d, k = draw(st.integers(1, 6)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (draw(matrices(k, d, -1, 1)), draw(vectors(k, -1, 1)), draw(matrices(n, d, -2, 2)),
            draw(vectors(n)), draw(st.floats(0.01, 0.1)))


def frozen_args(raw, dtype, device):
    return [tensor(v, dtype, device) for v in raw[:4]] + [raw[4]]


@answer("frozen_step")
def frozen_ref(W1, W2, X, y, lr):
    (g2,) = autograd_grads(lambda W2: (((X @ W1.T) @ W2 - y) ** 2).mean(), W2)
    return W1, W2 - lr * g2


@pytest.mark.grades(TOPIC, "frozen_step", weight=2)
@given(raw=frozen_cases())
def test_frozen_step_updates_W2_only(student, device, dtype, raw):
    """(W1 unchanged, W2 − lr·∂L/∂W2)."""
    case = Case(student, TOPIC, "frozen_step", *frozen_args(raw, dtype, device))
    W1 = case.args[0]
    W2, n = case.args[1], case.args[2].shape[0]
    case.diagnoses = [when("frozen_layer_updated", lambda got, expected: not torch.equal(got[0], W1)),
                      Diagnosis("sum_instead_of_mean", relation="matches",
                                wrong=lambda e: (e[0], W2 + n * (e[1] - W2))),
                      raised("inplace_leaf_update", "leaf Variable that requires grad"),
                      raised("grad_read_while_none", "'NoneType' object")]
    case.expect_tensors(case.run(leaves=(0, 1)).value, frozen_ref(*case.args), ("W1", "new W2"))


@pytest.mark.grades(TOPIC, "frozen_step")
@given(raw=frozen_cases())
def test_frozen_step_leaves_W1_grad_none(student, device, raw):
    """No gradient is computed for the frozen W1: W1.grad stays None."""
    case = Case(student, TOPIC, "frozen_step", *frozen_args(raw, torch.float64, device))
    grad = case.run(leaves=(0, 1)).facts.get("arg_grads", {}).get("0", {}).get("grad")
    if grad is not None:
        case.fail(text("frozen.w1_grad"), None, grad, misconception="frozen_grad_filled")


# -- the topic's rules ----------------------------------------------------------------------------

test_inputs_untouched = untouched_check(TOPIC, {
    "straight_through_round": sample_args(rounding_cases, lambda raw, dt, dev: [tensor(raw[0], dt, dev)]),
    "predict": sample_args(predict_cases, lambda raw, dt, dev: [tensor(v, dt, dev) for v in raw]),
    "frozen_step": sample_args(frozen_cases, frozen_args),
}, leaves={"straight_through_round": (0,), "predict": (0, 1), "frozen_step": (0, 1)})


# -- the features a failure profile reads (checks.diagnose.FEATURES) -----------------------------

FEATURES.declare(TOPIC, {
    "frozen_step": lambda W1, W2, X, y, lr: {"n_is_1": size(X) == 1, "k_is_1": size(W1) == 1},
    "predict": lambda w, b, x: {"x_has_zero": has_zero(x)},
})
