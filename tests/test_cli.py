"""The command line: exit codes and results files an LMS and CI can rely on."""

import json
import subprocess
import sys

from tests.kit import SOLUTIONS, SUBMISSIONS, build_hostile


def gradkit(*args, **kw):
    return subprocess.run([sys.executable, "-m", "gradkit", *args], capture_output=True,
                          text=True, **kw)


def test_list_shows_topics_functions_and_points():
    out = gradkit("list")
    assert out.returncode == 0
    assert "manual_grad" in out.stdout and "linear_mse_grad(x, y, w, b)" in out.stdout
    assert "手动求梯度" in out.stdout and "total 43 points" in out.stdout


def test_grade_of_a_missing_folder_still_writes_a_valid_results_file(tmp_path):
    out_file = tmp_path / "r.json"
    out = gradkit("grade", str(tmp_path / "nowhere"), "--json", str(out_file))
    assert out.returncode == 2 and "is not a folder" in out.stderr
    data = json.loads(out_file.read_text())
    assert data["score"] == 0 and "grading could not run" in data["notes"][0]


def test_unknown_topic_is_a_clear_error(tmp_path):
    out = gradkit("check", "backprop", "--target", str(SOLUTIONS))
    assert out.returncode == 2 and "unknown topic backprop" in out.stderr


def test_check_exit_code_follows_the_verdict(tmp_path):
    ok = gradkit("check", "gd_loop", "--target", str(SOLUTIONS))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Total: 11 / 11" in ok.stdout
    hostile = build_hostile(tmp_path / "hostile")
    bad = gradkit("check", "gd_loop", "--target", str(hostile), "--timeout", "2")
    assert bad.returncode == 1
    assert "least_squares" in bad.stdout and "does not accept" in bad.stdout


def test_grade_writes_the_contract_fields(tmp_path):
    out_file = tmp_path / "r.json"
    out = gradkit("grade", str(SUBMISSIONS / "syntax_error"), "--json", str(out_file),
                  "--topics", "manual_grad")
    assert out.returncode == 0, out.stderr
    data = json.loads(out_file.read_text())
    assert {"score", "max_score", "functions"} <= set(data)
    fn = data["functions"][0]
    assert {"topic", "function", "score", "max_score", "checks"} <= set(fn)
    assert {"name", "passed", "message"} <= set(fn["checks"][0])
