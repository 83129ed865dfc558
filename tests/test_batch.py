"""Batch grading: a folder of mixed submissions (right, wrong, broken, hostile zips)
gives a CSV row and a results file per student, resumes, and never stops early."""

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile

from gradkit.batch_workers import GraderProcess
from tests.kit import KIT, SOLUTIONS, SUBMISSIONS, build_mixed, cli_env


def _zip(folder, path, prefix="work/"):
    with zipfile.ZipFile(path, "w") as zf:
        for file in folder.rglob("*.py"):
            zf.write(file, prefix + str(file.relative_to(folder)))


def _batch(folder, out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "gradkit", "grade-batch", str(folder), "--csv", str(out / "grades.csv"),
         "--jobs", "2", "--topics", "manual_grad", "retain_graph", *extra],
        capture_output=True, text=True, timeout=600,
        env=cli_env())


def test_a_mixed_folder_gives_one_row_and_one_result_per_student(tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    (subs / "alice").symlink_to(SOLUTIONS, target_is_directory=True)
    _zip(build_mixed(tmp_path / "mixed"), subs / "bob.zip")  # nested in a folder: still found
    (subs / "carol").symlink_to(SUBMISSIONS / "syntax_error", target_is_directory=True)
    with zipfile.ZipFile(subs / "eve.zip", "w") as zf:  # tries to write outside its folder
        zf.writestr("../../escaped.py", "print('gotcha')")
    (subs / "frank.zip").write_bytes(b"not a zip at all")
    out = tmp_path / "out"
    first = _batch(subs, out)
    assert first.returncode == 0, first.stderr
    assert "3 graded, 0 kept from an earlier run, 2 could not be graded" in first.stdout
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert set(rows) == {"alice", "bob", "carol", "eve", "frank"}
    assert rows["alice"]["score"] == rows["alice"]["max_score"] == "15"
    assert 0 < float(rows["bob"]["score"]) < 15 and rows["carol"]["score"] == "0"
    assert "outside itself" in rows["eve"]["notes"] and rows["frank"]["score"] == "0"
    # Ungraded rows carry the full max: 0 of 15, never 0 / 0.
    assert rows["eve"]["max_score"] == rows["frank"]["max_score"] == "15"
    assert not (tmp_path / "escaped.py").exists()
    for student in rows:
        json.loads((out / "results" / f"{student}.json").read_text())
    summary = {f"{r['topic']}.{r['function']}": r for r in
               json.loads((out / "results" / "summary.json").read_text())}
    assert summary["manual_grad.linear_mse_grad"]["misconceptions"][0][0] == "dropped_factor_2"
    assert 0 < summary["manual_grad.linear_mse_grad"]["pass_rate"] < 1
    again = _batch(subs, out)
    assert "0 graded, 5 kept from an earlier run, 2 could not be graded" in again.stdout
    forced = _batch(subs, out, "--force")
    assert "3 graded, 0 kept" in forced.stdout


def _class(folder, students, slow=()):
    """Correct submissions; those in ``slow`` take a few seconds to import."""
    folder.mkdir()
    for student in students:
        shutil.copytree(SOLUTIONS, folder / student)
        if student in slow:
            module = folder / student / "retain_graph.py"
            module.write_text("import time\ntime.sleep(4)\n" + module.read_text())
    return folder


def test_a_batch_interrupted_by_sigint_loses_and_duplicates_nothing(tmp_path):
    students = ["alice", "bob", "carol", "dave"]
    subs = _class(tmp_path / "class", students, slow=("bob",))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gradkit", "grade-batch", str(subs), "--csv",
               str(out / "grades.csv"), "--jobs", "1", "--topics", "retain_graph"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(), cwd=KIT)
    deadline = time.monotonic() + 240
    while not (out / "results" / "alice.json").exists():  # alice done, bob in flight
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted: 3 submission(s) not graded yet" in stdout
    assert "Run the same command again" in stdout
    rows = list(csv.DictReader(open(out / "grades.csv")))
    assert [r["student"] for r in rows] == ["alice"]  # bob was in flight: not recorded
    assert rows[0]["score"] == rows[0]["max_score"] == "5"
    left = sorted(p.name for p in (out / "results").iterdir())
    assert left == ["alice.json", "summary.json"], left  # no half result, no log, no .tmp
    again = subprocess.run(command, capture_output=True, text=True, env=cli_env(), cwd=KIT,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "3 graded, 1 kept from an earlier run, 0 could not be graded" in again.stdout
    rows = list(csv.DictReader(open(out / "grades.csv")))
    assert sorted(r["student"] for r in rows) == students  # each exactly once
    assert all(r["score"] == r["max_score"] == "5" for r in rows), rows


def test_a_grading_that_breaks_keeps_its_output_in_a_log(tmp_path):
    grader = GraderProcess(env=cli_env())
    try:
        out, log = tmp_path / "r.json", tmp_path / "r.log"
        outcome = grader.grade(str(tmp_path / "nowhere"), str(out), str(log), {"lang": "en"})
        assert outcome == "failed"
        assert "could not be graded" in json.loads(out.read_text())["notes"][0]
        assert "is not a folder" in log.read_text()
        ok, ok_log = tmp_path / "ok.json", tmp_path / "ok.log"  # the same warm process
        assert grader.grade(str(SOLUTIONS), str(ok), str(ok_log),
                            {"topics": ["retain_graph"]}) == "graded"
        assert json.loads(ok.read_text())["score"] == 5 and not ok_log.exists()
        assert grader.graded == 2
    finally:
        grader.stop()


def test_relative_paths_from_another_folder_grade_and_a_failure_keeps_its_log(tmp_path):
    """Run from outside the kit with relative paths: the graders (which run in the kit's
    folder) still find every submission, and a submission that cannot be graded keeps a log
    that says why."""
    subs = tmp_path / "class"
    subs.mkdir()
    shutil.copytree(SOLUTIONS, subs / "alice")
    (subs / "frank.zip").write_bytes(b"not a zip at all")
    done = subprocess.run(
        [sys.executable, "-m", "gradkit", "grade-batch", "class", "--csv", "out/grades.csv",
         "--jobs", "1", "--topics", "retain_graph"],
        capture_output=True, text=True, timeout=600, env=cli_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 graded, 0 kept from an earlier run, 1 could not be graded" in done.stdout
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert rows["alice"]["score"] == rows["alice"]["max_score"] == "5"
    results = tmp_path / "out" / "results"
    assert not (results / "alice.log").exists()  # a clean grading leaves no log
    assert "gradkit:" in (results / "frank.log").read_text()  # a failed one always keeps one
    assert json.loads((results / "alice.json").read_text())["submission"] == str(subs / "alice")


def test_the_source_review_flags_reaching_for_the_kits_checks(tmp_path):
    from gradkit import review
    (tmp_path / "gd_loop.py").write_text(
        "import checks.gd_loop\n"
        "from checks import gd_loop as g\n"
        "import importlib\n"
        "m = importlib.import_module('checks.gd_loop')\n"
        "n = __import__('checks')\n"
        "checks = [1, 2]\n"               # a variable of that name is no reach
        "print('checks passed')\n"
        "src = open('checks/gd_loop.py').read()\n")
    hits = {(h["line"], h["what"]) for h in review.scan(str(tmp_path))}
    for line in (1, 2, 4, 5):
        assert (line, "checks") in hits, hits
    assert (8, "checks/ files") in hits
    assert not any(line in (6, 7) for line, _ in hits), hits
    assert review.scan(str(SOLUTIONS)) == [] and review.scan(str(SUBMISSIONS / "oop")) == []
