"""The grading plan (gradkit/plan.py): the examples a passing check drew, replayed without
hypothesis. It may change how long a grading takes, never what it finds: every grading made
with the plan equals the one made without it, for correct, buggy and hostile submissions;
a student's code cannot tell a replayed example from a drawn one; the plan's file is read
only where nobody but the grader could have written it."""

import json
import math
import os
import shutil
import stat
import subprocess
import sys

import pytest
import torch

from gradkit import plan
from tests.conftest import UNPLANNED
from tests.kit import KIT, SOLUTIONS, cli_env, comparable


@pytest.mark.parametrize("name", ("mixed",) + UNPLANNED)
def test_a_grading_with_the_plan_equals_one_without(graded, graded_folder, name):
    planned, unplanned = graded[name], graded[f"{name}-unplanned"]
    assert comparable(planned) == comparable(unplanned)
    did = json.loads((graded_folder / f"result-{name.replace('/', '-')}.json.plan.json").read_text())
    assert did["replayed"] + did["handed_over"] > 0, "the plan was not used: nothing compared"
    assert json.loads((graded_folder / f"result-{name.replace('/', '-')}-unplanned.json.plan.json")
                      .read_text()) == {"replayed": 0, "handed_over": 0, "recorded": 0}


def test_failing_submissions_hand_over_to_hypothesis(graded, graded_folder):
    did = json.loads((graded_folder / "result-mutant-engine-backward_div_sign_b.json.plan.json").read_text())
    assert did["handed_over"] > 0  # its failing checks were found by replay, shrunk by hypothesis
    assert did["replayed"] > 0  # and the checks it passes were replayed


WRONG_ONCE = '''
_first = [True]
_right = linear_mse_grad


def linear_mse_grad(x, y, w, b):
    """Wrong the first time it is called, right ever after: a replayed example called again
    by hypothesis would pass where a drawn one failed."""
    dw, db = _right(x, y, w, b)
    if _first[0]:
        _first[0] = False
        return dw + 1.0, db
    return dw, db
'''


GRADE_THREE_TIMES = """
import json, sys
from gradkit import plan, runner
from tests.kit import comparable
one = {"topics": ["manual_grad"], "functions": ["linear_mse_grad"]}
runner.grade(sys.argv[1], **one)  # the plan is recorded
with plan.disabled():
    unplanned = runner.grade(sys.argv[2], **one)
before = dict(plan.PLAN.counts)
planned = runner.grade(sys.argv[2], **one)
print(json.dumps({"before": before, "after": plan.PLAN.counts, "same": comparable(planned) == comparable(unplanned),
                  "score": unplanned.score, "max": unplanned.max_score}))
"""


def test_code_that_answers_differently_the_second_time_gains_nothing(tmp_path):
    # In a process of its own: the checks are defined under the grading profile there
    # (this test process may have loaded another hypothesis profile first).
    folder = tmp_path / "sub"
    folder.mkdir()
    shutil.copy(SOLUTIONS / "manual_grad.py", folder)
    with open(folder / "manual_grad.py", "a") as fh:
        fh.write(WRONG_ONCE)
    done = subprocess.run([sys.executable, "-c", GRADE_THREE_TIMES, str(SOLUTIONS), str(folder)],
                          env=cli_env(GRADKIT_PLAN_DIR=str(tmp_path / "plan")), cwd=KIT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["after"]["handed_over"] > got["before"]["handed_over"], got
    assert got["score"] < got["max"]
    assert got["same"]


def _same_after_writing(value):
    return plan._same(plan.decode(json.loads(json.dumps(plan.encode(value)))), value)


@pytest.mark.parametrize("value", [
    [0.1, -0.0, math.inf, -math.inf, 1e-308, 5e-324], (1, [2, (3.5,)]), {"op": "leaf", "k": 2},
    [True, None, "t0"], 2**70, torch.float64,
    torch.tensor(0.1, dtype=torch.float64), torch.tensor([[1.5, -0.0]]), torch.zeros(0, 3),
    torch.tensor([1, 2], dtype=torch.int64), torch.tensor([True, False]),
    torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], dtype=torch.float16),
], ids=repr)
def test_drawn_values_come_back_from_the_file_exactly(value):
    assert _same_after_writing(value)


def test_nan_and_the_sign_of_zero_survive_and_are_told_apart():
    assert _same_after_writing(float("nan"))
    assert not plan._same(0.0, -0.0)
    assert not plan._same((1.0,), [1.0])
    assert not plan._same(torch.tensor([0.0]), torch.tensor([-0.0]))
    assert not plan._same(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64))


@pytest.mark.parametrize("value", [torch.ones(2, requires_grad=True) * 2, object(), {1: 2}],
                         ids=["non-leaf tensor", "object", "int keys"])
def test_what_cannot_be_written_exactly_is_never_planned_from_the_file(value):
    with pytest.raises(plan.Unplannable):
        plan.encode(value)


def _write_plan(folder, mode=0o644):
    folder.mkdir(mode=0o755, exist_ok=True)
    path = folder / f"plan-{plan.digest()}.json"
    path.write_text(json.dumps({"checks/x.py::test_y[cpu] 00": [{"raw": {"value": 1}}]}))
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o664, 0o646], ids=["group-writable", "world-writable"])
def test_a_plan_file_others_may_write_is_never_read(tmp_path, monkeypatch, mode):
    monkeypatch.setenv("GRADKIT_PLAN_DIR", str(tmp_path / "plan"))
    _write_plan(tmp_path / "plan", mode)
    fresh = plan.Plan()
    fresh.load()
    assert fresh.examples == {}
    os.chmod(fresh.file, 0o644)
    fresh.load()
    assert list(fresh.examples) == ["checks/x.py::test_y[cpu] 00"]


def test_a_plan_folder_others_may_write_is_never_read(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADKIT_PLAN_DIR", str(tmp_path / "plan"))
    _write_plan(tmp_path / "plan")
    os.chmod(tmp_path / "plan", 0o777)
    fresh = plan.Plan()
    fresh.load()
    assert fresh.examples == {}


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_plan_file_of_another_user_is_never_read(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADKIT_PLAN_DIR", str(tmp_path / "plan"))
    path = _write_plan(tmp_path / "plan")
    os.chown(path, 65534, 65534)
    fresh = plan.Plan()
    fresh.load()
    assert fresh.examples == {}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_an_edited_source_is_another_plan(tmp_path, monkeypatch):
    for name in ("checks", "gradkit"):
        shutil.copytree(plan.KIT_DIR / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(plan, "KIT_DIR", tmp_path)
    before = plan.digest()
    strategies = tmp_path / "checks" / "strategies.py"
    strategies.write_text(strategies.read_text() + "\n# edited\n")
    assert plan.digest() != before


def test_saving_a_plan_removes_other_kit_versions_plans(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADKIT_PLAN_DIR", str(tmp_path / "plan"))
    (tmp_path / "plan").mkdir()
    old = tmp_path / "plan" / "plan-0123456789abcdef01234567.json"
    old.write_text("{}")
    fresh = plan.Plan()
    fresh.load()
    fresh.examples["checks/x.py::test_y[cpu] #1 00"] = [{"raw": [1.0, (2, 3)]}]
    fresh.new.add("checks/x.py::test_y[cpu] #1 00")
    fresh.save()
    assert not old.exists()
    again = plan.Plan()
    again.load()
    assert plan._same(again.examples["checks/x.py::test_y[cpu] #1 00"], [{"raw": [1.0, (2, 3)]}])

