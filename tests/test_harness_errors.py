"""The grader's errors never pay: a returned object made to break the grader's decoder or
its checks is the student's bad return (a failed check with a plain reason), and a check
that does fail through the grader's own error leaves its whole function ungraded."""

import pytest

from tests.kit import grade_in_one_fresh_process, overlay

ATTACKS = '''
import torch


class Nowhere(torch.nn.Parameter):
    """The issue's attack: a Parameter whose device names no device."""
    @property
    def device(self):
        return "nowhere"


class Liar(torch.Tensor):
    """Answers every torch question with a lie: equal to anything, any dtype asked."""
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("__eq__", "allclose", "equal", "isclose"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})

    @property
    def dtype(self):
        return torch.float64

    def __len__(self):
        return 10**6

    def __index__(self):
        return 0


def linear_mse_grad(x, y, w, b):  # not implemented: only objects that break the grader
    return Nowhere(torch.zeros(())), Nowhere(torch.zeros(()))


def sigmoid_neuron_grad(x, w, t):  # right in float64, the attack wherever float32 is asked
    if x.dtype == torch.float32:
        return Nowhere(torch.zeros_like(x))
    o = torch.sigmoid((x * w).sum())
    return (o - t) * o * (1 - o) * x


def matrix_mse_grad(X, y, w):  # a number no contract returns, far past float's range
    return 10**400


def two_layer_grads(X, y, W1, b1, W2, b2):
    zero = torch.zeros((), dtype=X.dtype).as_subclass(Liar)
    return zero, zero, zero, zero
'''


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    folder = overlay(tmp_path_factory.mktemp("harness") / "sub", {"manual_grad": ATTACKS})
    (result,) = grade_in_one_fresh_process([folder], ["manual_grad"])
    return result


def test_objects_that_break_the_grader_score_nothing(attacked):
    scores = {f.function: f.score for f in attacked.functions}
    assert scores["linear_mse_grad"] == 0, scores       # was full marks through "harness"
    assert scores["matrix_mse_grad"] == 0 and scores["two_layer_grads"] == 0, scores
    # Right in float64 but the attack in float32: a bad return costs the whole function
    # (as any value that cannot cross does), where "harness" used to leave float32 out.
    assert scores["sigmoid_neuron_grad"] == 0, scores


def test_they_are_the_students_bad_return_with_a_plain_reason(attacked):
    checks = [c for f in attacked.functions for c in f.checks]
    assert not any(c.error_kind == "harness" for c in checks)
    assert not attacked.regrade and not any("not graded" in n for n in attacked.notes)
    reasons = {f.function: " ".join(c.message for c in f.failed) for f in attacked.functions}
    # A Parameter subclass is refused where it is sent (the decoder's device check is the
    # second line: tests/test_wire.py).
    assert "type manual_grad.Nowhere" in reasons["linear_mse_grad"]
    assert "64-bit" in reasons["matrix_mse_grad"] or "could not be copied" in reasons["matrix_mse_grad"]
    assert "Liar" in reasons["two_layer_grads"]
    for fn in ("linear_mse_grad", "sigmoid_neuron_grad", "matrix_mse_grad", "two_layer_grads"):
        assert all(c.error_kind == "bad_return" for c in
                   attacked.function("manual_grad", fn).failed), fn
