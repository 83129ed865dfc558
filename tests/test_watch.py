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


def test_watch_grades_again_only_the_topic_whose_file_changed(tmp_path):
    folder = shutil.copytree(SOLUTIONS, tmp_path / "work")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradkit", "check", "retain_graph", "detach", "--target",
         str(folder), "--watch", "--watch-rounds", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(),
        cwd=tmp_path)
    lines = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # the first, full grading
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
            if line.startswith("Total:"):
                break
        first_total = lines[-1].strip()
        assert first_total.startswith("Total:"), "".join(lines)
        with open(folder / "detach.py", "a", encoding="utf-8") as fh:
            fh.write("\n" + (MUTANTS / "detach" / "round_plain.py").read_text(encoding="utf-8"))
        rest, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, "".join(lines) + rest  # the second verdict has a failure
    assert "detach.py changed: grading again" in rest
    assert "graded detach again in" in rest
    assert "graded retain_graph" not in rest
    # Only the saved topic is shown again; the unchanged one is a line, and the total is
    # still everything's.
    assert "backward_twice" not in rest and "unchanged since the last grading: retain_graph 5/5" in rest
    second_total = next(line for line in rest.splitlines()
                        if line.startswith("all watched topics:")).strip()
    assert second_total.split("/")[1] == first_total.split("/")[1]
    assert second_total.split(":")[1] != first_total.split(":")[1]
    assert "straight_through_round" in rest
