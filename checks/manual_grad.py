"""Checks for manual_grad (手动求梯度): gradients derived by hand, never by autograd."""

from __future__ import annotations

import pytest
import torch
from hypothesis import strategies as st

from checks.contract import rule_check, untouched_check
from checks.diagnose import FEATURES, approx, has_zero, matches, scaled, size, transposed, when
from checks.expect import case_factory
from checks.reference import autograd_grads
from checks.strategies import floats, magnitudes, matrices, vectors
from gradkit.testing import given
from gradkit.answers import kit_only

TOPIC = "manual_grad"


def to_args(raw, dtype, device):
    return [torch.tensor(v, dtype=dtype, device=device) for v in raw]


# -- what each function is given ------------------------------------------

@st.composite
def linear_cases(draw):
    n = draw(st.integers(1, 8))
    m = draw(magnitudes)
    x = [v * m for v in draw(vectors(n))]
    y = [v * m for v in draw(vectors(n))]
    return x, y, draw(floats()), draw(floats()) * m


@st.composite
def sigmoid_cases(draw):
    d = draw(st.integers(1, 6))
    # |x . w| stays below ~8, where sigma' is still far from float32 underflow.
    return draw(vectors(d, -2, 2)), draw(vectors(d, -2, 2)), draw(floats(0, 1))


@st.composite
def matrix_cases(draw):
    m, d = draw(st.integers(1, 7)), draw(st.integers(1, 5))
    scale = draw(magnitudes)
    X = [[v * scale for v in row] for row in draw(matrices(m, d))]
    return X, [v * scale for v in draw(vectors(m))], draw(vectors(d))


@st.composite
def two_layer_cases(draw):
    n, d, k = draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return (draw(matrices(n, d, -2, 2)), draw(vectors(n)), draw(matrices(k, d, -1, 1)),
            draw(vectors(k, -1, 1)), draw(vectors(k, -1, 1)), draw(floats(-1, 1)))


# -- the references (torch autograd) ----------------------------------------

def linear_ref(x, y, w, b):
    return autograd_grads(lambda w, b: ((w * x + b - y) ** 2).mean(), w, b)


def sigmoid_ref(x, w, t):
    return autograd_grads(lambda w: 0.5 * (torch.sigmoid((x * w).sum()) - t) ** 2, w)[0]


def matrix_ref(X, y, w):
    return autograd_grads(lambda w: ((X @ w - y) ** 2).sum() / (2 * X.shape[0]), w)[0]


def two_layer_ref(X, y, W1, b1, W2, b2):
    def loss(W1, b1, W2, b2):
        h = torch.tanh(X @ W1.T + b1)
        return ((h @ W2 + b2 - y) ** 2).mean()
    return autograd_grads(loss, W1, b1, W2, b2)


# -- the mistakes each answer can show ---------------------------------------------

@kit_only
def linear_diagnoses(x, y, w, b):
    residual = w * x + b - y
    return [scaled("dropped_factor_2", 0.5), scaled("flipped_sign", -1.0),
            scaled("sum_instead_of_mean", float(x.shape[0])),
            matches("missing_input_factor", lambda: ((2 * residual).mean(), (2 * residual).mean()))]


@kit_only
def sigmoid_diagnoses(x, w, t):
    o = torch.sigmoid((x * w).sum())
    s = torch.sigmoid(o)
    return [matches("activation_for_derivative", lambda: (o - t) * o * x),
            matches("derivative_wrong_point", lambda: (o - t) * s * (1 - s) * x),
            when("sigmoid_missing_x", lambda got, expected: bool(
                got.numel() >= 1 and not approx(got, expected)
                and torch.allclose(got.detach().double().cpu(),
                                   ((o - t) * o * (1 - o)).double().cpu().expand(got.shape),
                                   rtol=1e-3, atol=1e-6))),
            scaled("dropped_factor_2", 0.5), scaled("flipped_sign", -1.0)]


@kit_only
def matrix_diagnoses(X, y, w):
    return [scaled("sum_instead_of_mean", float(X.shape[0])), scaled("flipped_sign", -1.0),
            scaled("dropped_factor_2", 0.5)]


@kit_only
def two_layer_diagnoses(X, y, W1, b1, W2, b2):
    def tanh_for_derivative():
        h = torch.tanh(X @ W1.T + b1)
        d_yhat = 2 * (h @ W2 + b2 - y) / X.shape[0]
        d_pre = d_yhat[:, None] * W2[None, :] * h
        return d_pre.T @ X, d_pre.sum(0), h.T @ d_yhat, d_yhat.sum()
    def tanh_forgotten():
        h = torch.tanh(X @ W1.T + b1)
        d_yhat = 2 * (h @ W2 + b2 - y) / X.shape[0]
        d_pre = d_yhat[:, None] * W2[None, :]
        return d_pre.T @ X, d_pre.sum(0), h.T @ d_yhat, d_yhat.sum()
    return [transposed(), matches("activation_for_derivative", tanh_for_derivative),
            matches("tanh_derivative_forgotten", tanh_forgotten),
            scaled("dropped_factor_2", 0.5), scaled("flipped_sign", -1.0)]


DIAGNOSES = {"linear_mse_grad": linear_diagnoses, "sigmoid_neuron_grad": sigmoid_diagnoses,
             "matrix_mse_grad": matrix_diagnoses, "two_layer_grads": two_layer_diagnoses}

make_case = case_factory(TOPIC, DIAGNOSES)


# -- value checks -------------------------------------------------------------

@pytest.mark.grades(TOPIC, "linear_mse_grad")
@given(raw=linear_cases())
def test_linear_mse_grad_matches_autograd(student, device, dtype, raw):
    """(dL/dw, dL/db) equal torch autograd's, as two 0-d tensors."""
    case = make_case(student, "linear_mse_grad", to_args(raw, dtype, device))
    case.expect_tensors(case.run().value, linear_ref(*case.args), ("dL/dw", "dL/db"))


@pytest.mark.grades(TOPIC, "linear_mse_grad")
@pytest.mark.parametrize("raw, expected", [
    (([2.0], [4.0], 1.0, 0.0), (-8.0, -4.0)),              # one sample, y = 2x, w = 1
    (([1.0, 3.0], [2.0, 4.0], 0.0, 0.0), (-14.0, -6.0)),   # the seeds' SSE example, halved
])
def test_linear_mse_grad_worked_examples(student, device, raw, expected):
    """The curriculum's worked examples."""
    case = make_case(student, "linear_mse_grad", to_args(raw, torch.float32, device))
    want = tuple(torch.tensor(v, device=device) for v in expected)
    case.expect_tensors(case.run().value, want, ("dL/dw", "dL/db"))


@pytest.mark.grades(TOPIC, "sigmoid_neuron_grad")
@given(raw=sigmoid_cases())
def test_sigmoid_neuron_grad_matches_autograd(student, device, dtype, raw):
    """dE/dw equals torch autograd's, shape (d,)."""
    case = make_case(student, "sigmoid_neuron_grad", to_args(raw, dtype, device))
    case.expect_tensor(case.run().value, sigmoid_ref(*case.args), "dE/dw")


@kit_only
def _clamped_diagnoses(x, w, t):
    o = torch.sigmoid((x * w).sum()).clamp(1e-3, 1 - 1e-3)
    return [matches("clamped_output", lambda: (o - t) * o * (1 - o) * x)]


@pytest.mark.grades(TOPIC, "sigmoid_neuron_grad")
@pytest.mark.parametrize("raw", [
    ([2.0, 2.0], [2.0, 2.0], 0.0),                # z = 8: sigma'(z) about 3e-4
    ([-2.0, -2.0, -2.0], [2.0, 2.0, 2.0], 1.0),   # z = -12: sigma(z) about 6e-6
    ([1.5, -1.0], [-3.0, 2.5], 0.5),              # z = -7
])
def test_sigmoid_neuron_grad_saturated(student, device, dtype, raw):
    """Where the sigmoid saturates the gradient is tiny but exact: no clamp, no floor."""
    case = make_case(student, "sigmoid_neuron_grad", to_args(raw, dtype, device))
    case.diagnoses += _clamped_diagnoses(*case.args)
    case.expect_tensor(case.run().value, sigmoid_ref(*case.args), "dE/dw")


@pytest.mark.grades(TOPIC, "matrix_mse_grad")
@given(raw=matrix_cases())
def test_matrix_mse_grad_matches_autograd(student, device, dtype, raw):
    """dL/dw equals torch autograd's, shape (d,)."""
    case = make_case(student, "matrix_mse_grad", to_args(raw, dtype, device))
    case.expect_tensor(case.run().value, matrix_ref(*case.args), "dL/dw")


@pytest.mark.grades(TOPIC, "two_layer_grads", weight=2)
@given(raw=two_layer_cases())
def test_two_layer_grads_matches_autograd(student, device, dtype, raw):
    """All four gradients equal torch autograd's, each shaped like its parameter."""
    case = make_case(student, "two_layer_grads", to_args(raw, dtype, device))
    case.expect_tensors(case.run().value, two_layer_ref(*case.args),
                        ("dL/dW1", "dL/db1", "dL/dW2", "dL/db2"))


# -- the topic's rules ----------------------------------------------------------

SAMPLES = {
    "linear_mse_grad": linear_cases,
    "sigmoid_neuron_grad": sigmoid_cases,
    "matrix_mse_grad": matrix_cases,
    "two_layer_grads": two_layer_cases,
}
SAMPLE_ARGS = {name: (lambda device, s=s: s().map(lambda raw: to_args(raw, torch.float64, device)))
               for name, s in SAMPLES.items()}


test_no_autograd = rule_check(
    TOPIC, SAMPLE_ARGS, "autograd_used",
    "rule.autograd_in_manual", "autograd_in_manual")
test_inputs_untouched = untouched_check(TOPIC, SAMPLE_ARGS)


# -- the features a failure profile reads (checks.diagnose.FEATURES) -----------------------------

FEATURES.declare(TOPIC, {
    "linear_mse_grad": lambda x, y, w, b: {"n_is_1": size(x) == 1, "x_has_zero": has_zero(x),
                                           "b_is_0": float(b) == 0.0},
    "sigmoid_neuron_grad": lambda x, w, t: {"d_is_1": size(x) == 1, "x_has_zero": has_zero(x)},
    "matrix_mse_grad": lambda X, y, w: {"n_is_1": size(X) == 1, "d_is_1": size(X, 1) == 1},
    "two_layer_grads": lambda X, y, W1, b1, W2, b2: {"n_is_1": size(X) == 1,
                                                     "k_is_1": size(W1) == 1,
                                                     "d_is_1": size(X, 1) == 1},
})
