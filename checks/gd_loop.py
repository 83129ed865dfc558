"""Checks for gd_loop (梯度下降): the training loop by hand, and the closed forms."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume
from hypothesis import strategies as st

from checks.contract import rule_check, sample_args, untouched_check
from checks.diagnose import FEATURES, matches, raised, size, when
from checks.expect import case_factory
from checks.strategies import floats, low_rank_matrices, matrices, vectors
from gradkit.testing import given, text
from gradkit.answers import answer, kit_only

TOPIC = "gd_loop"


# -- what each function is given ------------------------------------------------
# Learning rates are drawn as a fraction of the largest stable one (2/λmax of
# the loss's Hessian), so every correct run contracts and float32 stays close
# to the reference.

@st.composite
def gd_cases(draw):
    n = draw(st.integers(1, 8))
    x, y = draw(vectors(n)), draw(vectors(n, -5, 5))
    hess_max = 2 * (sum(v * v for v in x) / n + 1)  # bounds λmax of the (w, b) Hessian
    lr = draw(st.floats(0.05, 0.9)) / hess_max
    return x, y, draw(floats()), draw(floats()), lr, draw(st.integers(1, 12))


@st.composite
def sgd_cases(draw):
    m, d = draw(st.integers(1, 9), ), draw(st.integers(1, 3))
    X, y = draw(matrices(m, d, -2, 2)), draw(vectors(m))
    hess_max = 2 * (max(sum(v * v for v in row) for row in X) + 1)
    lr = draw(st.floats(0.05, 0.9)) / hess_max
    batch_size = draw(st.integers(1, m + 2))  # past m too: one batch holds everything
    return X, y, draw(vectors(d)), draw(floats()), lr, draw(st.integers(1, 3)), batch_size


@st.composite
def least_squares_cases(draw):
    X = draw(low_rank_matrices())
    sv = torch.linalg.svdvals(torch.tensor(X, dtype=torch.float64))
    nonzero = sv[sv > 1e-9 * max(1.0, sv.max().item())]
    # Nonzero singular values well away from zero: the answer is well conditioned.
    assume(nonzero.numel() > 0 and (nonzero.min() / nonzero.max()).item() > 0.1)
    return X, draw(vectors(len(X)))


@st.composite
def ridge_cases(draw):
    m, d = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    return draw(matrices(m, d, -2, 2)), draw(vectors(m)), draw(st.floats(0.5, 10.0))


def gd_args(raw, dtype, device):
    x, y, w0, b0, lr, steps = raw
    return [_t(x, dtype, device), _t(y, dtype, device), _t(w0, dtype, device),
            _t(b0, dtype, device), lr, steps]


def sgd_args(raw, dtype, device):
    X, y, w0, b0, lr, epochs, batch_size = raw
    return [_t(X, dtype, device), _t(y, dtype, device), _t(w0, dtype, device),
            _t(b0, dtype, device), lr, epochs, batch_size]


def ls_args(raw, dtype, device):
    return [_t(v, dtype, device) for v in raw]


def ridge_args(raw, dtype, device):
    X, y, lam = raw
    return [_t(X, dtype, device), _t(y, dtype, device), lam]


def _t(values, dtype, device):
    return torch.tensor(values, dtype=dtype, device=device)


# -- the references ---------------------------------------------------------------

@answer("minibatch_sgd")
def sgd_step(params, loss, lr):
    """One plain SGD step, the same arithmetic as torch.optim.SGD's default
    (p.add_(grad, alpha=-lr)); building a torch.optim optimizer would cost the
    grader a two-second import of torch._dynamo."""
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads):
            p.add_(g, alpha=-lr)


@answer("gradient_descent")
def gd_ref(x, y, w0, b0, lr, steps, *, record_after=False, accumulate=False):
    """Plain gradient descent; the keywords give two known wrong versions (the loss
    recorded after the update, gradients never zeroed), for the diagnoses."""
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    losses, total = [], (torch.zeros_like(w0), torch.zeros_like(b0))

    def loss_now():
        return ((w * x + b - y) ** 2).mean()
    for _ in range(steps):
        loss = loss_now()
        if not record_after:
            losses.append(loss.detach())
        grads = torch.autograd.grad(loss, (w, b))
        if accumulate:
            total = tuple(t + g for t, g in zip(total, grads))
            grads = total
        with torch.no_grad():
            w.add_(grads[0], alpha=-lr)
            b.add_(grads[1], alpha=-lr)
            if record_after:
                losses.append(loss_now())
    return w.detach(), b.detach(), torch.stack(losses)


@kit_only
def weights_zeroed_ref(x, y, w0, b0, lr, steps):
    """w.zero_() where w.grad.zero_() belongs: the weights reset after every update,
    the gradients never (a real student's loop)."""
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    losses, total = [], (torch.zeros_like(w0), torch.zeros_like(b0))
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.detach())
        total = tuple(t + g for t, g in zip(total, torch.autograd.grad(loss, (w, b))))
        with torch.no_grad():
            w.add_(total[0], alpha=-lr)
            b.add_(total[1], alpha=-lr)
            w.zero_()
            b.zero_()
    return w.detach(), b.detach(), torch.stack(losses)


def loss_as_gradient_ref(x, y, w0, b0, lr, steps):
    w, b, losses = w0.clone(), b0.clone(), []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss)
        w, b = w - lr * loss, b - lr * loss
    return w, b, torch.stack(losses)


@answer("minibatch_sgd")
def sgd_ref(X, y, w0, b0, lr, epochs, batch_size, *, drop_last=False, divide_again=False,
            full_divisor=False):
    """Mini-batch SGD; the keywords give known wrong versions (the last, smaller batch
    dropped; the step divided by the batch size once more)."""
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    m = X.shape[0]
    for _ in range(epochs):
        for i in range(0, m - m % batch_size if drop_last else m, batch_size):
            yb = y[i:i + batch_size]
            loss = ((X[i:i + batch_size] @ w + b - yb) ** 2).mean()
            if full_divisor:  # the short last batch's sum divided by batch_size all the same
                loss = loss * len(yb) / batch_size
            sgd_step((w, b), loss, lr / len(yb) if divide_again else lr)
    return w.detach(), b.detach()


@answer("least_squares")
def ls_ref(X, y):
    # Computed in float64 with a cutoff far above rounding noise: X is exactly low-rank.
    w = torch.linalg.pinv(X.double(), rtol=1e-6) @ y.double()
    return w.to(X.dtype)


@answer("ridge")
def ridge_ref(X, y, lam):
    Xd, yd = X.double(), y.double()
    eye = torch.eye(X.shape[1], dtype=torch.float64, device=X.device)
    return torch.linalg.solve(Xd.T @ Xd + lam * eye, Xd.T @ yd).to(X.dtype)


# -- the mistakes each answer can show ---------------------------------------------------

@kit_only
def gd_diagnoses(*args):
    return [matches("loss_recorded_after_update", lambda: gd_ref(*args, record_after=True)),
            matches("grad_not_zeroed", lambda: gd_ref(*args, accumulate=True)),
            matches("loss_as_gradient", lambda: loss_as_gradient_ref(*args)),
            matches("weights_zeroed", lambda: weights_zeroed_ref(*args)),
            raised("inplace_leaf_update", "leaf Variable that requires grad"),
            raised("rebinding_loses_leaf", "NoneType|does not require grad")]


@kit_only
def sgd_diagnoses(*args):
    return [matches("partial_batch_dropped", lambda: sgd_ref(*args, drop_last=True)),
            matches("mean_divided_twice", lambda: sgd_ref(*args, divide_again=True)),
            matches("short_batch_full_divisor", lambda: sgd_ref(*args, full_divisor=True)),
            raised("inplace_leaf_update", "leaf Variable that requires grad")]


def converges_diagnoses(a, lr):
    said_yes = lambda condition: lambda got, expected: got is True and condition  # noqa: E731
    return [when("boundary_included", said_yes(lr * a == 1)),
            when("nonpositive_lr", said_yes(lr <= 0)),
            # lr < 2/a says yes on the whole of 1 <= lr·a < 2, the boundary itself included
            when("curvature_confused", said_yes(1 <= lr * a < 2))]


def least_squares_diagnoses(X, y):
    singular = torch.linalg.matrix_rank(X.double().T @ X.double()).item() < X.shape[1]
    return [when("rank_deficient_unhandled", lambda got, expected: singular),
            raised("normal_equations_singular", "singular"),
            # a QR solver: R is not square (m < d) or not invertible
            raised("rank_deficient_unhandled", "solve_triangular")]


@kit_only
def ridge_diagnoses(X, y, lam):
    # XᵀX + λI is never singular for λ > 0: a "singular" error means λ missed the diagonal.
    return [matches("lambda_every_entry",
                    lambda: torch.linalg.solve(X.T @ X + lam, X.T @ y)),
            raised("lambda_every_entry", "singular")]


DIAGNOSES = {"gradient_descent": gd_diagnoses, "minibatch_sgd": sgd_diagnoses,
             "converges": converges_diagnoses, "least_squares": least_squares_diagnoses,
             "ridge": ridge_diagnoses}

make_case = case_factory(TOPIC, DIAGNOSES)


# -- value checks -----------------------------------------------------------------------

@pytest.mark.grades(TOPIC, "gradient_descent", weight=2)
@given(raw=gd_cases())
def test_gradient_descent_matches_reference(student, device, dtype, raw):
    """(w, b, losses) equal plain gradient descent's; losses are recorded before each update."""
    case = make_case(student, "gradient_descent", gd_args(raw, dtype, device))
    case.expect_tensors(case.run().value, gd_ref(*case.args), ("w", "b", "losses"))


@pytest.mark.grades(TOPIC, "gradient_descent")
def test_gradient_descent_gradients_from_autograd(student, device):
    """The gradients come from autograd (backward or torch.autograd.grad), not a formula."""
    case = make_case(student, "gradient_descent",
                     gd_args(([1.0, 2.0], [3.0, 5.0], 0.0, 0.0, 0.05, 3), torch.float32, device))
    if not case.run().facts.get("autograd_used"):
        case.fail(text("rule.gd_no_autograd"), misconception="closed_form_gradients")


@pytest.mark.grades(TOPIC, "minibatch_sgd", weight=2)
@given(raw=sgd_cases())
def test_minibatch_sgd_matches_reference(student, device, dtype, raw):
    """(w, b) after every epoch of in-order mini-batches, the last one possibly smaller."""
    case = make_case(student, "minibatch_sgd", sgd_args(raw, dtype, device))
    case.expect_tensors(case.run().value, sgd_ref(*case.args), ("w", "b"))


@pytest.mark.grades(TOPIC, "converges")
@pytest.mark.parametrize("a, lr, expected", [
    (14.0, 0.5, False), (14.0, 0.1, False), (14.0, 2.0, False), (14.0, 0.01, True),
    (4.0, 0.25, False),  # lr = 1/a exactly: w oscillates between ±w0 forever
])
def test_converges_worked_examples(student, a, lr, expected):
    """The seeds' SSE(w) = 14w² − 56w + 56 examples and the exact boundary lr = 1/a."""
    case = make_case(student, "converges", [a, lr])
    case.expect_bool(case.run().value, expected)


@pytest.mark.grades(TOPIC, "converges")
@given(k=st.integers(-4, 6), j=st.integers(6, 20), side=st.sampled_from(["low", "high"]))
def test_converges_just_inside(student, k, j, side):
    """lr·a = 2**-j or 1 − 2**-j (a a power of two: exact in floating point) converges,
    however slowly: simulating a fixed number of steps cannot tell."""
    a = 2.0 ** k
    lr = (2.0 ** -j if side == "low" else 1.0 - 2.0 ** -j) / a
    _expect_converges_just_inside(make_case(student, "converges", [a, lr]))


@pytest.mark.grades(TOPIC, "converges")
@pytest.mark.parametrize("a, lr", [(1.0, 2.0 ** -10), (1.0, 1 - 2.0 ** -10), (8.0, 2.0 ** -20),
                                   (0.25, (1 - 2.0 ** -20) * 4)])
def test_converges_just_inside_worked_examples(student, a, lr):
    """lr·a just inside (0, 1) at both ends converges."""
    _expect_converges_just_inside(make_case(student, "converges", [a, lr]))


def _expect_converges_just_inside(case):
    got = case.run().value
    if got is False:
        case.fail(text("expect.bool_value", got=got, expected=True), True, got,
                  misconception="simulated_convergence")
    case.expect_bool(got, True)


@pytest.mark.grades(TOPIC, "converges")
@given(k=st.integers(-4, 6), side=st.sampled_from(["at", "zero", "negative"]))
def test_converges_exact_boundaries(student, k, side):
    """lr = 1/a exactly (a a power of two), lr = 0 and lr < 0 never converge."""
    a = 2.0 ** k
    lr = {"at": 1.0 / a, "zero": 0.0, "negative": -1.0 / a}[side]
    case = make_case(student, "converges", [a, lr])
    case.expect_bool(case.run().value, False)


@pytest.mark.grades(TOPIC, "converges")
@given(a=st.floats(0.01, 100.0),
       ratio=st.one_of(st.floats(0.01, 0.95), st.floats(1.05, 4.0), st.floats(-2.0, -0.01)))
def test_converges_away_from_boundary(student, a, ratio):
    """True exactly when 0 < lr·a < 1, for draws well away from the boundaries."""
    case = make_case(student, "converges", [a, ratio / a])
    case.expect_bool(case.run().value, _converges_at(ratio))


@answer("converges")
def _converges_at(ratio: float) -> bool:
    """Whether gradient descent converges where lr·a = ratio."""
    return 0 < ratio < 1


@pytest.mark.grades(TOPIC, "least_squares", weight=2)
@given(raw=least_squares_cases())
def test_least_squares_minimum_norm(student, device, dtype, raw):
    """The minimum-norm least-squares w, also for rank-deficient X (singular XᵀX)."""
    case = make_case(student, "least_squares", ls_args(raw, dtype, device))
    expected = ls_ref(*case.args)
    case.expect_tensor(case.run().value, expected, "w",
                       scale=max(1.0, case.args[1].abs().max().item()))


@pytest.mark.grades(TOPIC, "ridge")
@given(raw=ridge_cases())
def test_ridge_matches_closed_form(student, device, dtype, raw):
    """(XᵀX + λI)⁻¹ Xᵀ y, with λ on the diagonal only."""
    case = make_case(student, "ridge", ridge_args(raw, dtype, device))
    case.expect_tensor(case.run().value, ridge_ref(*case.args), "w")


# -- the topic's rules ----------------------------------------------------------------------

SAMPLE_ARGS = {
    "gradient_descent": sample_args(gd_cases, gd_args),
    "minibatch_sgd": sample_args(sgd_cases, sgd_args),
    "least_squares": sample_args(least_squares_cases, ls_args),
    "ridge": sample_args(ridge_cases, ridge_args),
}

test_no_torch_optim = rule_check(
    TOPIC, {"gradient_descent": SAMPLE_ARGS["gradient_descent"]}, "optim_used",
    "rule.optim_used", "optim_used")
test_inputs_untouched = untouched_check(TOPIC, SAMPLE_ARGS)


# -- the features a failure profile reads (checks.diagnose.FEATURES) -----------------------------

def _rank_deficient(X) -> bool:
    return torch.linalg.matrix_rank(X.double().cpu()).item() < X.shape[1]


FEATURES.declare(TOPIC, {
    "gradient_descent": lambda x, y, w0, b0, lr, steps: {"one_step": steps == 1,
                                                         "n_is_1": size(x) == 1},
    "minibatch_sgd": lambda X, y, w0, b0, lr, epochs, batch_size: {
        "batch_divides": size(X) % batch_size == 0, "one_batch": batch_size >= size(X),
        "n_is_1": size(X) == 1, "d_is_1": size(X, 1) == 1},
    "converges": lambda a, lr: {"lr_a_near_1": abs(lr * a - 1) < 0.05},
    "least_squares": lambda X, y: {"rank_deficient": _rank_deficient(X), "d_is_1": size(X, 1) == 1},
    "ridge": lambda X, y, lam: {"n_is_1": size(X) == 1, "d_is_1": size(X, 1) == 1},
})
