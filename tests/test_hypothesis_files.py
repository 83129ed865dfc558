"""Hypothesis's storage folders: a process that ends without its atexit (killed, an xdist
worker's os._exit) leaves its gradkit-hypothesis-<pid>-* behind; the next one removes it."""

import os
import signal
import subprocess
import sys
import time

from gradkit.testing import HYPOTHESIS_PREFIX, remove_stale_hypothesis_folders
from tests.kit import KIT, cli_env


def _ended_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_only_folders_of_ended_processes_and_day_old_unnamed_ones_go(tmp_path):
    dead, alive = _ended_pid(), os.getpid()
    made = {name: tmp_path / f"{HYPOTHESIS_PREFIX}{name}" for name in
            (f"{dead}-ab12", f"{alive}-cd34", "oldunnamed", "newunnamed", f"{dead}x-ef56")}
    for path in made.values():
        path.mkdir()
        (path / "unicode_data").mkdir()  # what hypothesis keeps there
    a_file = tmp_path / f"{HYPOTHESIS_PREFIX}{dead}-file"
    a_file.write_text("not a folder")
    other = tmp_path / f"other-{dead}-ab12"
    other.mkdir()
    two_days = time.time() - 2 * 24 * 3600
    os.utime(made["oldunnamed"], (two_days, two_days))
    removed = remove_stale_hypothesis_folders(str(tmp_path))
    assert sorted(removed) == sorted([str(made[f"{dead}-ab12"]), str(made["oldunnamed"])])
    assert not made[f"{dead}-ab12"].exists() and not made["oldunnamed"].exists()
    for kept in (made[f"{alive}-cd34"], made["newunnamed"], made[f"{dead}x-ef56"], a_file, other):
        assert kept.exists(), kept
    assert remove_stale_hypothesis_folders(str(tmp_path / "absent")) == []


IMPORT_AND_SAY = "import gradkit.testing as t, os, sys; print(t.HYPOTHESIS_FILES, flush=True); {end}"


def _grader(tmp_path, end: str) -> tuple[subprocess.CompletedProcess, str]:
    env = {k: v for k, v in cli_env().items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", IMPORT_AND_SAY.format(end=end)], cwd=KIT,
                          env=env, capture_output=True, text=True, timeout=300)
    return done, done.stdout.strip().splitlines()[0]


def test_a_killed_grader_s_folder_is_removed_by_the_next_one(tmp_path):
    killed, left = _grader(tmp_path, "os.kill(os.getpid(), 9)")
    assert killed.returncode == -signal.SIGKILL
    assert os.path.dirname(left) == str(tmp_path) and os.path.isdir(left)  # no atexit ran
    ended, own = _grader(tmp_path, "sys.exit(0)")
    assert ended.returncode == 0, ended.stderr[-2000:]
    assert not os.path.exists(left), "the killed process's folder is still there"
    assert not os.path.exists(own)  # and its own went at exit, as before
    assert not [n for n in os.listdir(tmp_path) if n.startswith(HYPOTHESIS_PREFIX)]
