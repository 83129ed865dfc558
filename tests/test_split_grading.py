"""One grading on two cores (gradkit/split_grading.py): the second grader's topics are
chosen from the submission's source, the merged result is the one a single grader gives,
and a second grader that dies costs a clear grading error, never a silent half result."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradkit import catalog, runner, split_grading
from tests.kit import EXERCISES, SOLUTIONS, comparable

ALL = list(catalog.TOPIC_NAMES)


def test_a_split_grading_gives_the_single_graders_result(graded):
    split = graded["mixed-split"]
    if "split" not in split.environment:
        pytest.skip("this machine has no spare core: the grading was not split")
    assert split.environment["split"]["second_grader"]
    assert comparable(split) == comparable(graded["mixed"])
    assert [f.topic for f in split.functions] == [f.topic for f in graded["mixed"].functions]


def test_the_engine_goes_to_the_second_grader_and_stubs_are_never_split(tmp_path):
    theirs = split_grading.second_half(str(SOLUTIONS), ALL)
    assert theirs and "engine" in theirs and len(theirs) < len(ALL)
    assert split_grading.second_half(str(SOLUTIONS), ["detach"]) is None
    # all stubs: every check fails at once, a second grader's start would cost more
    assert split_grading.second_half(str(EXERCISES), ALL) is None
    # only the engine written: nothing to put beside it
    mine = shutil.copytree(EXERCISES, tmp_path / "engine_only")
    shutil.copy(SOLUTIONS / "engine.py", mine / "engine.py")
    assert split_grading.second_half(str(mine), ALL) is None
    # a module that is not Python is "fails at once" too, and never breaks the choice
    (mine / "engine.py").write_text("def (:\n")
    assert split_grading.second_half(str(mine), ALL) is None


def test_a_cpu_quota_of_one_core_or_less_leaves_nothing_to_split(tmp_path):
    quota = tmp_path / "cpu.max"
    for line, spare in (("50000 100000", 0), ("100000 100000", 0), ("max 100000", None)):
        quota.write_text(line + "\n")
        got = split_grading.spare_cores(str(quota))
        assert got == (spare if spare is not None else split_grading.spare_cores("/nonexistent"))


def test_a_container_memory_limit_under_the_two_graders_peak_leaves_one(tmp_path):
    limit = tmp_path / "memory.max"
    for line, allowed in (("max", True), (str(768 * 2**20), False), (str(4 * 2**30), True)):
        limit.write_text(line + "\n")
        assert split_grading.memory_allows(str(limit)) is allowed
    assert split_grading.memory_allows(str(tmp_path / "absent")) is True


def _started(monkeypatch, command):
    """A second grader on retain_graph of the stubs, running ``command`` instead."""
    monkeypatch.setattr(split_grading, "second_command", lambda request: command)
    monkeypatch.setattr(split_grading, "spare_cores", lambda: 1)
    monkeypatch.setattr(split_grading, "second_half", lambda folder, topics: ["retain_graph"])
    second = split_grading.start(str(EXERCISES), ["detach", "retain_graph"], {"timeout": 10.0})
    assert second is not None and second.ours == ["detach"]
    return second


def test_a_second_grader_that_dies_is_a_grading_error(monkeypatch):
    second = _started(monkeypatch, ["false"])
    with pytest.raises(runner.GradingError, match="second grading process"):
        runner.grade(str(EXERCISES), ["detach", "retain_graph"], split=second)


def test_a_second_grader_started_early_is_stopped_when_the_grading_cannot_run(monkeypatch):
    """`gradkit grade` starts the second grader before it imports torch (gradkit/cli.py):
    a grading that then fails on its input leaves no second grader running."""
    second = _started(monkeypatch, ["sleep", "60"])
    with pytest.raises(runner.GradingError):
        runner.grade(str(EXERCISES), ["detach", "retain_graph"], functions=["no_such_function"],
                     split=second)
    assert second._process.poll() is not None


def test_nothing_is_started_for_input_the_grading_will_refuse(tmp_path):
    assert split_grading.start(str(tmp_path / "absent"), None, {}) is None
    assert split_grading.start(str(SOLUTIONS), ["detach", "no_such_topic"], {}) is None


def test_the_command_line_starts_the_second_grader_before_importing_torch(tmp_path):
    """Both graders then import torch side by side, not one after the other."""
    script = (
        "import sys\n"
        "from gradkit import cli, split_grading\n"
        "seen = []\n"
        "split_grading.start = lambda *a, **k: seen.append('torch' in sys.modules)\n"
        f"cli.main(['grade', {str(EXERCISES)!r}, '--topics', 'detach', '--json', "
        f"{str(tmp_path / 'r.json')!r}])\n"
        "print(seen[0])\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=SOLUTIONS.parent, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr


def test_a_module_no_parser_can_read_costs_no_split_and_no_crash(tmp_path):
    """A deep expression makes ast.parse raise RecursionError, a FIFO would block a read:
    neither may stop the grading (its results file is always written)."""
    mine = tmp_path / "sub"
    shutil.copytree(SOLUTIONS, mine)
    (mine / "engine.py").write_text("x = " + "+".join(["1"] * 300000) + "\n")
    assert split_grading._unwritten(str(mine), "engine") is True
    (mine / "detach.py").unlink()
    os.mkfifo(mine / "detach.py")
    assert split_grading._unwritten(str(mine), "detach") is True
    split_grading.start(str(mine), None, {})  # no exception; a second grader or none
    from gradkit import review
    assert review.scan_file(str(mine / "detach.py"), "detach.py") == []
    assert isinstance(review.scan_file(str(mine / "engine.py"), "engine.py"), list)


def test_the_second_grader_runs_in_the_kit_s_folder_not_the_caller_s(monkeypatch, tmp_path):
    """`python -m` puts the working folder first on the import path: a grading started in
    a student's repository must not import the student's json.py into a grader."""
    seen = {}

    class Recorder:
        def __init__(self, command, **kw):
            seen.update(kw, command=command)

        def poll(self):
            return 0

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(split_grading.subprocess, "Popen", Recorder)
    monkeypatch.setattr(split_grading, "spare_cores", lambda: 1)
    relative = os.path.relpath(SOLUTIONS, tmp_path)
    second = split_grading.start(relative, None, {})
    assert second is not None
    assert seen["cwd"] == split_grading.KIT_DIR
    request = json.loads(Path(seen["command"][-1]).read_text())
    assert request["folder"] == str(SOLUTIONS)  # absolute: the second grader runs elsewhere
    second.close()
