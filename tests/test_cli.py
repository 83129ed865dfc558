"""The command line: exit codes and results files an LMS and CI can rely on."""

import json
import subprocess
import sys
import threading
import time

from gradkit import catalog
from tests.kit import EXERCISES, MUTANTS, SOLUTIONS, SUBMISSIONS, build_hostile, cli_env, overlay


def gradkit(*args, lang="en", cwd=None, extra_env=None, **kw):
    """Run the CLI in ``cwd`` (its .gradkit/ state goes there), in English unless asked."""
    env = cli_env(lang, **(extra_env or {}))
    return subprocess.run([sys.executable, "-m", "gradkit", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, **kw)


def test_list_shows_topics_functions_and_points():
    out = gradkit("list")
    assert out.returncode == 0
    assert "manual_grad" in out.stdout and "linear_mse_grad(x, y, w, b)" in out.stdout
    assert "手动求梯度" in out.stdout and f"total {catalog.total_points():g} points" in out.stdout


def test_grade_of_a_missing_folder_still_writes_a_valid_results_file(tmp_path):
    out_file = tmp_path / "r.json"
    out = gradkit("grade", str(tmp_path / "nowhere"), "--json", str(out_file))
    assert out.returncode == 2 and "is not a folder" in out.stderr
    data = json.loads(out_file.read_text())
    assert data["score"] == 0 and "could not be graded" in data["notes"][0]


def test_unknown_topic_is_a_clear_error(tmp_path):
    out = gradkit("check", "backprop", "--target", str(SOLUTIONS))
    assert out.returncode == 2 and "unknown topic backprop" in out.stderr


def test_check_exit_code_follows_the_verdict(tmp_path):
    ok = gradkit("check", "gd_loop", "--target", str(SOLUTIONS), cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Total: 11 / 11" in ok.stdout
    hostile = build_hostile(tmp_path / "hostile")
    bad = gradkit("check", "gd_loop", "--target", str(hostile), "--timeout", "2", cwd=tmp_path)
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


def test_hints_come_one_at_a_time_in_the_chosen_language(tmp_path):
    first = gradkit("hint", "backward_twice", cwd=tmp_path)
    assert first.returncode == 0 and "hint 1 of 3 for backward_twice" in first.stdout
    second = gradkit("hint", "backward_twice", lang="zh", cwd=tmp_path)
    assert "backward_twice 的提示 2/3" in second.stdout and "retain_graph=True" in second.stdout
    gradkit("hint", "backward_twice", cwd=tmp_path)
    done = gradkit("hint", "backward_twice", cwd=tmp_path)
    assert "that was the last hint" in done.stdout
    again = gradkit("hint", "backward_twice", "--reset", cwd=tmp_path)
    assert "hint 1 of 3" in again.stdout
    unknown = gradkit("hint", "backprop", cwd=tmp_path)
    assert unknown.returncode == 2 and "no function named backprop" in unknown.stderr


def test_list_shows_progress_after_a_check(tmp_path):
    assert "no grade yet" in gradkit("list", cwd=tmp_path).stdout
    gradkit("check", "retain_graph", "--target", str(SOLUTIONS), cwd=tmp_path)
    gradkit("check", "detach", "--target", str(EXERCISES), cwd=tmp_path)
    lines = gradkit("list", "--target", str(SOLUTIONS), cwd=tmp_path).stdout.splitlines()
    retain = next(line for line in lines if line.startswith("retain_graph"))
    assert "[" + "█" * 20 + "]" in retain and "5/5 done" in retain
    assert "█" not in next(line for line in lines if line.startswith("gd_loop"))
    lines = gradkit("list", "--target", str(EXERCISES), cwd=tmp_path).stdout.splitlines()
    detach = next(line for line in lines if line.startswith("detach"))
    assert "0/6 not started" in detach  # progress is kept per folder graded


def test_check_in_chinese_with_an_html_report(tmp_path):
    sub = overlay(tmp_path / "sub", {"retain_graph": (MUTANTS / "retain_graph" /
                                                      "twice_single_backward.py").read_text()})
    out = gradkit("check", "retain_graph", "--target", str(sub), "--html", str(tmp_path / "r"),
                  lang="zh", cwd=tmp_path)
    assert out.returncode == 1
    assert "可能的错误" in out.stdout and "backward 只运行了一次" in out.stdout
    assert "你的计算图" in out.stdout and "总分" in out.stdout
    page = (tmp_path / "r" / "index.html").read_text()
    assert 'lang="zh-CN"' in page and "参考计算图" in page


def test_watch_grades_again_after_a_change(tmp_path):
    sub = overlay(tmp_path / "sub", {})
    watcher = subprocess.Popen(
        [sys.executable, "-m", "gradkit", "check", "retain_graph", "--target", str(sub),
         "--watch", "--watch-rounds", "2"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env=cli_env())
    watchdog = threading.Timer(180, watcher.kill)  # a grading that never reports must not hang
    watchdog.start()
    first = []
    for line in watcher.stdout:
        first.append(line)
        if line.startswith("Total"):
            break
    assert first and "Total: 5 / 5" in first[-1], "".join(first)
    time.sleep(1.0)  # a new modification time, even on coarse clocks
    broken = (MUTANTS / "retain_graph" / "twice_single_backward.py").read_text()
    (sub / "retain_graph.py").write_text((sub / "retain_graph.py").read_text() + "\n" + broken)
    rest, _ = watcher.communicate(timeout=120)
    watchdog.cancel()
    assert watcher.returncode == 1
    assert "retain_graph.py changed: grading again" in rest
    assert "Total: 4 / 5" in rest and "backward ran once" in rest


def test_without_dot_check_still_grades_and_says_how_to_get_pictures(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    out = gradkit("check", "retain_graph", "--target", str(SOLUTIONS), cwd=tmp_path,
                  extra_env={"PATH": str(empty)})
    assert out.returncode == 0 and "Total: 5 / 5" in out.stdout
    assert "apt-get install graphviz" in out.stdout


def test_check_one_function_runs_only_its_checks_and_says_the_grading_is_partial(tmp_path):
    sub = overlay(tmp_path / "sub", {"manual_grad": (MUTANTS / "manual_grad" / "linear_dw_halved.py")
                                     .read_text()})
    other = gradkit("check", "--function", "sigmoid_neuron_grad", "--target", str(sub), cwd=tmp_path)
    assert other.returncode == 0, other.stdout + other.stderr  # the wrong function is not graded
    assert "sigmoid_neuron_grad" in other.stdout and "linear_mse_grad" not in other.stdout
    points = catalog.function("manual_grad", "sigmoid_neuron_grad").points
    assert f"Total: {points:g} / {points:g}" in other.stdout
    assert "partial grading: only manual_grad.sigmoid_neuron_grad graded" in other.stdout
    unknown = gradkit("check", "manual_grad", "--function", "backward_twice", "--target", str(sub),
                      cwd=tmp_path)
    assert unknown.returncode not in (0, 1) and "unknown function backward_twice" in unknown.stderr
