"""Untrusted code: student code runs in an isolated world of its own (namespaces where
the kernel allows them, else a uid of its own as root) where it can read nothing of the
kit's secrets, write no results, signal no grader, and leaves no process behind; in any
mode, forging a score gets exactly what was computed. More attacks: test_isolation.py."""

import json
import os
import subprocess
import shutil
import sys
import tempfile
import time

import pytest
import torch

from gradkit.untrusted import isolation, privileges
from gradkit.runner import CHECKS_DIR
from gradkit.untrusted.sandbox import Run, Submission
from tests.kit import ISOLATION, SANDBOX_UNREADY, cli_env, overlay

AS_ROOT = pytest.mark.skipif(
    os.geteuid() != 0 or bool(SANDBOX_UNREADY) or ISOLATION == "none",
    reason=f"needs root (CI runs as root) and isolation: {SANDBOX_UNREADY or ISOLATION}")

PROBE = '''
import os, resource
def probe(grader_pid, checks_file, results_dir):
    def can(action):
        try:
            action()
            return True
        except OSError:
            return False
    return {
        "uid": os.getuid(), "euid": os.geteuid(), "groups": os.getgroups(),
        "read_checks": can(lambda: open(checks_file).read()),
        "write_results": can(lambda: open(os.path.join(results_dir, "results.json"), "w")),
        "signal_grader": can(lambda: os.kill(grader_pid, 0)),
        "open_files": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "processes": resource.getrlimit(resource.RLIMIT_NPROC)[0],
        "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
        "cwd": os.getcwd(),
    }
'''


@AS_ROOT
def test_as_root_student_code_runs_with_nothing_to_reach(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    results.chmod(0o777)  # nothing is protected by modes any more: the sandbox must hold
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.py").write_text(PROBE)
    scratch = tempfile.mkdtemp(dir="/var/tmp")
    run = Run(str(tmp_path / "sub"), scratch)
    sub = Submission(str(tmp_path / "sub"), None, scratch, run=run)
    try:
        facts = sub.call("m", "probe", [os.getpid(), str(CHECKS_DIR / "gd_loop.py"),
                                        str(results)]).value
    finally:
        sub.close()
        run.close()
        shutil.rmtree(scratch)
    assert facts["uid"] == facts["euid"] == run.uid >= 61000 and facts["groups"] == []
    assert not facts["read_checks"] and not facts["write_results"]
    assert not facts["signal_grader"]
    assert facts["open_files"] == privileges.MAX_OPEN_FILES
    assert facts["processes"] == privileges.MAX_PROCESSES
    if not torch.cuda.is_available():  # CUDA maps huge address ranges: no cap there
        assert facts["memory"] == privileges.MAX_MEMORY_MB << 20
    assert facts["cwd"] == (isolation.SANDBOX_HOME if run.level == "namespaces" else run.home)


def _grade(folder, out, fmt="json", topics=("manual_grad",)):
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(folder), "--format", fmt,
                           "--out", str(out), "--topics", *topics], capture_output=True,
                          text=True, env=cli_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def _scores(data):
    return {f["function"]: f["score"] for f in data["functions"]}


FORGER = '''
import json, os, glob
for target in glob.glob("/tmp/**/results*.json", recursive=True) + [os.environ.get("OUT", "")]:
    try:
        with open(target, "w") as fh:
            json.dump({"score": 100, "tests": []}, fh)
    except OSError:
        pass

def linear_mse_grad(x, y, w, b):
    raise NotImplementedError("linear_mse_grad is not implemented yet")
'''


def test_a_forged_results_file_is_replaced_by_the_real_one(tmp_path):
    out = tmp_path / "results" / "results.json"
    out.parent.mkdir()
    sub = overlay(tmp_path / "sub", {"manual_grad": FORGER})
    data = _grade(sub, out, fmt="gradescope")
    assert data["score"] == 8  # 10 points, and linear_mse_grad's 2 really lost


PATCHER = '''
import torch
# Make every comparison in this process say "equal", then answer wrong.
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
torch.Tensor.__eq__ = lambda self, other: True

def linear_mse_grad(x, y, w, b):
    return torch.zeros_like(w), torch.zeros_like(b)
'''

LIAR = '''
import torch

class AlwaysEqual(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__

class Sneaky(torch.Tensor):
    def __eq__(self, other):
        return True

def linear_mse_grad(x, y, w, b):
    return AlwaysEqual(0.0), torch.zeros_like(b).as_subclass(Sneaky)
'''


HONEST_ZEROS = '''
import torch

def linear_mse_grad(x, y, w, b):
    return torch.zeros_like(w), torch.zeros_like(b)
'''


@pytest.mark.parametrize("cheat", [PATCHER, LIAR], ids=["patched_torch", "lying_objects"])
def test_cheating_gets_exactly_what_was_computed(tmp_path, cheat):
    cheated = _scores(_grade(overlay(tmp_path / "cheat", {"manual_grad": cheat}),
                             tmp_path / "cheat.json"))
    honest = _scores(_grade(overlay(tmp_path / "honest", {"manual_grad": HONEST_ZEROS}),
                            tmp_path / "honest.json"))
    # Zeros are right only where the gradient is zero: the cheat earns no more than that.
    assert cheated["linear_mse_grad"] <= honest["linear_mse_grad"] < 2
    assert cheated["two_layer_grads"] == 4  # the honest rest is untouched


# In a topic without the no-autograd rule (there, starting a process breaks the rule).
LEFTOVERS = '''
import subprocess, os, sys
def predict(w, b, x):
    subprocess.Popen(["sleep", "613"], start_new_session=True)  # leaves the process group
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "614"])
        os._exit(0)
    with torch.no_grad():
        return w * x + b
'''


@AS_ROOT
def test_no_process_of_the_submission_outlives_grading(tmp_path):
    sub = overlay(tmp_path / "sub", {"detach": LEFTOVERS})
    data = _grade(sub, tmp_path / "r.json", topics=("detach",))
    fn = next(f for f in data["functions"] if f["function"] == "predict")
    assert fn["score"] == fn["max_score"]  # its answers were right: they count
    time.sleep(0.5)
    assert _commands_running("sleep 613", "sleep 614") == []


def _commands_running(*commands):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                line = fh.read().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        found += [line for c in commands if line == c]
    return found
