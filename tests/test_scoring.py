"""The scoring policy (gradkit.catalog: RULES, HIDDEN_SHARE, QUANTUM), computed only in
the results model: value checks earn the points, a broken rule gates them, hidden checks
take a stated share, points come out in round numbers, a harness error voids its check."""

import os

import pytest

from gradkit import catalog
from gradkit.reporters import gradescope, junit, prairielearn
from gradkit.results import FAILED, PASSED, SKIPPED, CheckResult, FunctionResult, GradeResult
from tests.kit import grade_many, overlay


def check(name, outcome=PASSED, topic="manual_grad", hidden=False, weight=1.0, kind=None):
    return CheckResult(name, outcome, check=f"{topic}::{'hidden::' if hidden else ''}{name}",
                       hidden=hidden, weight=weight, error_kind=kind)


def fn(points, *checks, topic="manual_grad", name="linear_mse_grad"):
    return FunctionResult(topic, name, points, list(checks))


def test_rule_checks_earn_nothing_of_their_own():
    zeros = fn(2, check("value", FAILED), check("value2", FAILED), check("no_autograd"),
               check("inputs_untouched"))
    assert zeros.score == 0


def test_a_broken_rule_gates_the_points_and_is_named():
    cheat = fn(2, check("value"), check("value2"), check("no_autograd", FAILED))
    assert cheat.score == 2 * catalog.RULES["no_autograd"].keeps
    assert cheat.gated_by == "no_autograd"
    half = fn(2, check("value"), check("value2"), check("inputs_untouched", FAILED))
    assert half.score == 2 * catalog.RULES["inputs_untouched"].keeps == 1.0
    assert half.gated_by == "inputs_untouched"
    both = fn(2, check("value"), check("inputs_untouched", FAILED), check("no_autograd", FAILED))
    assert both.score == 0 and both.gated_by == "no_autograd"  # the worst rule wins
    # A rule check that could not run (the student's code raised) is not a broken rule.
    crashed = fn(2, check("value"), check("no_autograd", FAILED, kind="exception"))
    assert crashed.score == 2 and crashed.gated_by is None


def test_a_changed_grader_scores_zero():
    tampered = fn(2, check("value"), check("value2", FAILED, kind="tampered"))
    assert tampered.score == 0 and tampered.gated_by == catalog.INTEGRITY.check


def test_a_harness_error_leaves_the_function_ungraded():
    clean = fn(2, check("a"), check("b"), check("c", FAILED))
    voided = fn(2, check("a"), check("b"), check("c", FAILED), check("d", FAILED, kind="harness"))
    assert clean.score > 0 and voided.score == 0 and voided.gated_by is None
    assert voided.regrade and not clean.regrade
    passed = fn(2, check("a"), check("z", FAILED, kind="harness"))
    assert passed.score == 0 and passed.status == FAILED  # its passing check never pays
    assert passed.split() == {False: (0.0, 2), True: (0.0, 0.0)}
    result = GradeResult("s", [passed, clean])
    assert result.score == clean.score and result.regrade and result.to_dict()["regrade"] is True
    assert result.to_dict()["functions"][0]["regrade"] is True
    assert any("not graded" in n and "manual_grad.linear_mse_grad" in n for n in result.notes)
    again = GradeResult.from_dict(result.to_dict())
    assert again.notes == result.notes and again.score == result.score


def test_hidden_checks_take_the_stated_share_in_round_numbers():
    f = fn(2, *[check(f"v{i}") for i in range(6)], check("h", FAILED, hidden=True),
           topic="graph_leaves", name="grad_fn_names")
    visible, hidden = f.split()[False], f.split()[True]
    assert hidden == (0.0, 2 * catalog.HIDDEN_SHARE)
    assert visible == (2 - 2 * catalog.HIDDEN_SHARE, 2 - 2 * catalog.HIDDEN_SHARE)
    assert f.score == visible[0] + hidden[0] == 1.5


@pytest.mark.parametrize("passed,total", [(1, 7), (3, 7), (6, 7), (5, 9), (1, 3), (2, 3)])
@pytest.mark.parametrize("points", [1, 2, 3, 4])
def test_points_are_multiples_of_the_quantum(points, passed, total):
    f = fn(points, *[check(f"v{i}", PASSED if i < passed else FAILED) for i in range(total)])
    assert f.score / catalog.QUANTUM == int(f.score / catalog.QUANTUM)
    assert 0 < f.score < points  # something passed, something failed: neither end
    for part, (score, most) in f.split().items():
        assert score / catalog.QUANTUM == int(score / catalog.QUANTUM)


def test_skipped_checks_count_for_nothing():
    f = fn(2, check("a"), check("b", SKIPPED))
    assert f.score == 2


def test_the_lms_formats_report_the_models_numbers():
    f = fn(2, check("value"), check("value2"), check("no_autograd", FAILED))
    g = fn(2, *[check(f"v{i}") for i in range(6)], check("h", FAILED, hidden=True),
           topic="graph_leaves", name="grad_fn_names")
    result = GradeResult("s", [f, g])
    assert result.score == 1.5
    assert gradescope.to_dict(result)["score"] == result.score
    assert sum(t["points"] for t in prairielearn.to_dict(result)["tests"]) == result.score
    assert b"no_autograd" in junit.to_xml(result)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    os.environ.setdefault("GRADKIT_EXAMPLES", "5")
    work = tmp_path_factory.mktemp("scoring")
    zeros = overlay(work / "zeros", {"manual_grad": (
        "def linear_mse_grad(x, y, w, b):\n    return torch.zeros_like(w), torch.zeros_like(b)\n")})
    autograd = overlay(work / "autograd", {"manual_grad": (
        "def linear_mse_grad(x, y, w, b):\n"
        "    w, b = w.detach().requires_grad_(), b.detach().requires_grad_()\n"
        "    ((w * x + b - y) ** 2).mean().backward()\n"
        "    return w.grad.detach(), b.grad.detach()\n")})
    jobs = [{"name": n, "folder": str(f), "topics": ["manual_grad"], "timeout": 10.0}
            for n, f in (("zeros", zeros), ("autograd", autograd))]
    return grade_many(jobs, work)


def test_zeros_in_manual_grad_score_zero(graded):
    assert graded["zeros"].function("manual_grad", "linear_mse_grad").score == 0


def test_autograd_in_manual_grad_scores_at_most_the_policy_fraction(graded):
    f = graded["autograd"].function("manual_grad", "linear_mse_grad")
    assert f.score <= f.max_score * catalog.RULES["no_autograd"].keeps
    assert f.gated_by == "no_autograd"
