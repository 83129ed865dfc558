"""A warm grader: many gradings in one process, and `check --watch` re-grading only the
topic whose file changed."""

import json
import shutil
import subprocess
import sys
import time

from tests.kit import KIT, MUTANTS, SOLUTIONS, cli_env

TWICE = """
import json, sys
from gradkit import runner
folder, wrong = sys.argv[1], sys.argv[2]
seen = []
for target in (folder, wrong, folder, wrong):
    result = runner.grade(target, ["retain_graph", "detach"], timeout=10)
    seen.append({"score": result.score, "max": result.max_score,
                 "failed": sorted(c.name for f in result.functions for c in f.failed),
                 "messages": sorted(c.message for f in result.functions for c in f.failed)})
print(json.dumps(seen))
"""


def test_gradings_in_one_process_agree_and_shrink_to_the_same_counterexample(tmp_path):
    wrong = shutil.copytree(SOLUTIONS, tmp_path / "wrong")
    with open(wrong / "detach.py", "a", encoding="utf-8") as fh:
        fh.write("\n" + (MUTANTS / "detach" / "round_plain.py").read_text(encoding="utf-8"))
    out = subprocess.run([sys.executable, "-c", TWICE, str(SOLUTIONS), str(wrong)],
                         capture_output=True, text=True, env=cli_env(), cwd=KIT, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    first, buggy, again, buggy_again = json.loads(out.stdout.strip().splitlines()[-1])
    assert first["score"] == first["max"] and not first["failed"], first
    assert again == first  # a correct function is never timed out by an earlier grading
    assert buggy["score"] < buggy["max"]
    assert any(name.startswith("straight_through_round") for name in buggy["failed"])
    assert buggy_again == buggy  # bounded shrinking: the same counterexamples, word for word


def _until(proc, lines: list[str], prefix: str, deadline: float) -> str:
    """Read the watcher's output into ``lines`` up to the first line that starts with
    ``prefix``; that line."""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
        if line.startswith(prefix):
            return line.strip()
    raise AssertionError("no " + prefix + " in time:\n" + "".join(lines))


def test_watch_grades_again_only_the_functions_whose_code_changed(tmp_path):
    """A save regrades the functions it changed (the rest of the topic and the other topics
    kept from before); a comment regrades nothing; module-level code the whole topic."""
    folder = shutil.copytree(SOLUTIONS, tmp_path / "work")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradkit", "check", "retain_graph", "detach", "--target",
         str(folder), "--watch", "--watch-rounds", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(),
        cwd=tmp_path)
    lines: list[str] = []
    rounds: list[str] = []

    def save(text: str) -> str:
        """Append ``text`` to detach.py; everything the watcher printed for that save."""
        start = len(lines)
        with open(folder / "detach.py", "a", encoding="utf-8") as fh:
            fh.write(text)
        _until(proc, lines, "all watched topics:", time.monotonic() + 240)
        lines.append(proc.stdout.readline())  # what was graded again, and how fast
        rounds.append("".join(lines[start:]))
        return rounds[-1]

    try:
        first_total = _until(proc, lines, "Total:", time.monotonic() + 240)  # the first, full grading
        wrong = save("\n" + (MUTANTS / "detach" / "round_plain.py").read_text(encoding="utf-8"))
        note = save("\n# a comment changes no function\n")
        module_level = save("\n_ORDER = sorted([2, 1])  # runs at import\n")
        rest, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, "".join(lines) + rest  # the last verdict has a failure
    assert "detach.py changed: grading again" in wrong
    assert "graded detach.straight_through_round again in" in wrong, wrong
    assert "graded retain_graph" not in wrong and "graded detach again" not in wrong
    # The saved topic is shown again (its unchanged functions as they were); the other is a
    # line, and the total is still everything's.
    assert "backward_twice" not in wrong and "unchanged since the last grading: retain_graph 5/5" in wrong
    assert "stop_gradient_grads" in wrong and "straight_through_round" in wrong
    second_total = next(line for line in wrong.splitlines() if line.startswith("all watched topics:"))
    assert second_total.split("/")[1] == first_total.split("/")[1]
    assert second_total.split(":")[1] != first_total.split(":")[1]
    assert "partial" not in wrong  # the merged result is whole again
    assert "nothing graded again" in note and " again in " not in note, note
    assert note.splitlines()[-2] == second_total  # the same verdicts, kept
    assert "graded detach again in" in module_level, module_level  # the whole topic
    assert module_level.splitlines()[-2] == second_total


def _last(topic: str, failing: str):
    from gradkit import catalog
    from gradkit.results import CheckResult, FunctionResult, GradeResult
    return GradeResult("work", [
        FunctionResult(topic, f.name, f.points, [CheckResult(name="c", outcome=(
            "failed" if f.name == failing else "passed"))])
        for f in catalog.topic(topic).functions], environment={"topics": [topic]})


def test_the_plan_of_a_save_is_conservative():
    """Which functions a save regrades: those it changed; also a failed one whose lines
    moved (its message names a line); the whole topic when the last result lacks any."""
    from gradkit import rerun
    source = (SOLUTIONS / "detach.py").read_text(encoding="utf-8")
    grown = source.replace("def stop_gradient_grads(", "# a line\n\n\ndef stop_gradient_grads(", 1)
    assert grown != source
    passing = _last("detach", failing="")
    assert rerun.plan(["detach"], {"detach": source}, {"detach": grown}, passing) == {"detach": []}
    failing = _last("detach", failing="frozen_step")  # below the moved lines: its message is old
    assert rerun.plan(["detach"], {"detach": source}, {"detach": grown}, failing) == \
        {"detach": ["frozen_step"]}
    assert rerun.plan(["detach"], {"detach": source}, {"detach": grown}, None) == {"detach": None}
    assert rerun.plan(["detach"], {"detach": None}, {"detach": grown}, passing) == {"detach": None}
    wrong = source + "\n\ndef predict(w, b, x):\n    return w * x + b\n"
    planned = rerun.plan(["detach"], {"detach": source}, {"detach": wrong}, passing)
    assert planned == {"detach": ["predict"]}
    assert rerun.describe(planned) == "detach.predict"
    assert rerun.describe({"detach": None, "retain_graph": []}) == "detach"


def test_a_merge_is_whole_again():
    from dataclasses import replace

    from gradkit import rerun
    last = _last("detach", failing="predict")
    fresh = replace(_last("detach", failing=""), environment={"partial": {"functions": ["detach.predict"]}})
    fresh.functions = [f for f in fresh.functions if f.function == "predict"]
    merged = rerun.merge(last, fresh, [("detach", "predict")])
    assert [f.function for f in merged.functions] == [f.function for f in last.functions]
    assert "partial" not in merged.environment and merged.score == merged.max_score


def test_an_unknown_function_is_a_grading_error_before_anything_runs(tmp_path):
    import pytest

    from gradkit.runner import GradingError, grade
    with pytest.raises(GradingError, match="unknown function nope"):
        grade(str(tmp_path), ["detach"], functions=["nope"])
    with pytest.raises(GradingError, match="unknown function"):
        grade(str(tmp_path), ["detach"], functions=["retain_graph.backward_twice"])  # not a graded topic
