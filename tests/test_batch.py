"""Batch grading: a folder of mixed submissions (right, wrong, broken, hostile zips)
gives a CSV row and a results file per student, resumes, and never stops early."""

import csv
import json
import subprocess
import sys
import zipfile

from tests.kit import SOLUTIONS, SUBMISSIONS, build_mixed, cli_env


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
    assert not (tmp_path / "escaped.py").exists()
    for student in rows:
        json.loads((out / "results" / f"{student}.json").read_text())
    summary = {f"{r['topic']}.{r['function']}": r for r in
               json.loads((out / "results" / "summary.json").read_text())}
    assert summary["manual_grad.linear_mse_grad"]["misconceptions"][0][0] == "dropped_factor_2"
    assert 0 < summary["manual_grad.linear_mse_grad"]["pass_rate"] < 1
    again = _batch(subs, out)
    assert "0 graded, 5 kept from an earlier run" in again.stdout
    forced = _batch(subs, out, "--force")
    assert "3 graded, 0 kept" in forced.stdout
