"""End-to-end grading of the reference solutions, the stubs and sample submissions."""

import ast

import pytest

from gradkit import catalog
from tests.kit import SUBMISSIONS


def _strip_timings(data):
    data = dict(data, execution_time=None, submission=None)
    data["functions"] = [dict(f, checks=[dict(c, duration=None) for c in f["checks"]])
                         for f in data["functions"]]
    return data


def test_solutions_score_full_marks(graded):
    result = graded["solutions"]
    assert [(f.topic, f.function) for f in result.functions] == \
        [(f.topic, f.name) for f in catalog.all_functions()]
    failures = [(f.function, c.name, c.message) for f in result.functions for c in f.failed]
    assert failures == []
    assert result.score == result.max_score == sum(f.points for f in catalog.all_functions())


def test_stubs_score_zero_with_not_implemented_messages(graded):
    result = graded["exercises"]
    assert result.score == 0
    for fn in result.functions:
        assert fn.failed, fn.function
        for check in fn.failed:
            assert check.error_kind == "not_implemented"
            assert "not implemented yet" in check.message
            assert "Traceback" not in check.message


def _defined(folder) -> set[str]:
    return {node.name for path in folder.glob("*.py")
            for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("name", ["loops", "functional", "numpy_minded", "oop"])
def test_independent_correct_submissions_score_full_marks(graded, name):
    """Graded on the functions they define: a function added to the catalog later needs
    no sample submission of its own."""
    result = graded[f"independent/{name}"]
    defined = _defined(SUBMISSIONS / name)
    written = [f for f in result.functions if f.function in defined]
    assert len(written) >= len(catalog.all_functions()) // 2, "most functions are written"
    failures = [(f.function, c.name, c.message) for f in written for c in f.failed]
    assert failures == []
    assert all(f.score == f.max_score for f in written)


def test_other_operation_orders_score_full_marks(graded):
    """Correct answers in other operation orders (einsum, flipped sums, the dual ridge, an
    SVD by hand), for the functions where the tolerance matters: full marks."""
    result = graded["independent/orders"]
    written = [f for f in result.functions if f.function in _defined(SUBMISSIONS / "orders")]
    assert len(written) == 7
    assert [(f.function, c.message) for f in written for c in f.failed] == []


def test_grading_is_reproducible(graded):
    for name in ("solutions", "mutant/gd_loop/sgd_drops_last_batch"):
        again = graded["solutions-again" if name == "solutions" else "mutant-again"]
        assert _strip_timings(graded[name].to_dict()) == _strip_timings(again.to_dict())


def test_cuda_checks_are_skipped_with_a_visible_reason_without_a_gpu(graded):
    import torch
    result = graded["solutions"]
    cuda = [c for f in result.functions for c in f.checks if "cuda" in c.name]
    assert cuda, "every value check is parametrized over devices"
    if not torch.cuda.is_available():
        assert all(c.skipped and "no CUDA GPU" in c.message for c in cuda)
        assert any("CUDA checks skipped" in n for n in result.notes)


EXPECTED_HOSTILE = {
    "linear_mse_grad": ("timeout", "took longer than 2 s"),
    "sigmoid_neuron_grad": ("crash", "stopped before answering"),
    "matrix_mse_grad": ("output_flood", "printed more than 1 MB"),
    "two_layer_grads": ("exit", "sys.exit(0)"),
    "least_squares": ("bad_return", "does not accept"),
    "ridge": ("base_exception", "KeyboardInterrupt"),
}


def test_a_hostile_submission_costs_only_the_functions_it_breaks(graded):
    result = graded["hostile"]
    for fn in result.functions:
        if fn.function in EXPECTED_HOSTILE:
            kind, text = EXPECTED_HOSTILE[fn.function]
            assert fn.score == 0
            assert {c.error_kind for c in fn.failed} == {kind}, fn.function
            assert text in fn.failed[0].message
        else:
            assert fn.score == fn.max_score, fn.function


def test_a_syntax_error_names_file_and_line(graded):
    result = graded["syntax_error"]
    assert result.score == 0
    for fn in result.functions:
        assert "manual_grad.py has a syntax error on line 6" in fn.failed[0].message


def test_a_copied_install_without_checks_says_how_to_install(monkeypatch, tmp_path):
    # `pip install FOLDER` copies the engine but never checks/ (it is not a package, so no
    # sandbox can import it): grading must say to install editable, not "pytest exit code 4".
    from gradkit import runner
    monkeypatch.setattr(runner, "CHECKS_DIR", tmp_path / "site-packages" / "checks")
    with pytest.raises(runner.GradingError, match="pip install -e"):
        runner.grade(str(tmp_path), ["manual_grad"], lang="en")


def test_a_sandbox_that_closes_before_it_is_ready_is_started_again(monkeypatch):
    # No student code has run before the sandbox says it is ready, so trying again
    # changes no verdict; a supervisor that never comes up still ends in a GradingError.
    from gradkit import runner
    from gradkit.untrusted import channel
    tries = []

    def flaky(folder, scratch, factory):
        tries.append(folder)
        if len(tries) < runner.START_TRIES:
            raise channel.ChannelClosed()
        return "run"

    monkeypatch.setattr(runner, "Run", flaky)
    assert runner._start_run("sub", "scratch", None) == "run" and len(tries) == runner.START_TRIES
    tries.clear()
    monkeypatch.setattr(runner, "START_TRIES", 2)
    monkeypatch.setattr(runner, "Run", lambda *a, **k: (_ for _ in ()).throw(channel.ChannelClosed()))
    with pytest.raises(runner.GradingError, match="ChannelClosed"):
        runner._start_run("sub", "scratch", None)
