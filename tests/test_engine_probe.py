"""The kernel's count of a run's autograd engine runs (gradkit/untrusted/engine_probe.py):
what it counts (threads, children, forward AD; never the grader's own), that the harness's
own runs are exactly what ``harness_runs`` says (an honest call is never charged), that a
reply cannot outvote it, and that where the kernel refuses the results say so."""

import json
import os
import select
import shutil
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest
import torch
import torch.autograd.forward_ad as fwad  # imported as root: it reads sources nobody may not

from gradkit.untrusted import engine_probe
from tests.kit import SUBMISSIONS, cli_env, started_submission

WHY_NOT = engine_probe.unavailable()
needs_kernel = pytest.mark.skipif(WHY_NOT is not None,
                                  reason=f"the kernel will not count engine runs here: {WHY_NOT}")


def test_every_entry_point_is_found_in_torch_s_library():
    path = engine_probe.library_path()
    if path is None:
        pytest.skip("torch has no libtorch_cpu.so on this platform")
    names = engine_probe.ENGINE_SYMBOLS + engine_probe.FORWARD_AD_SYMBOLS
    offsets = engine_probe.symbol_offsets(path, names)
    assert len(set(offsets)) == len(names)
    assert all(0 < o < os.path.getsize(path) for o in offsets)
    # the loader's answer (torch is loaded here) is the symbol table's, offset for offset
    assert engine_probe._loaded_offsets(path, names) == engine_probe._file_offsets(path, names)
    assert engine_probe._loaded_offsets(path, ("_ZN5torch8autograd6Engine9not_thereEv",)) is None
    assert engine_probe._loaded_offsets(os.devnull, names) is None
    with pytest.raises(engine_probe.ProbeUnavailable, match="exports no function"):
        engine_probe.symbol_offsets(path, ("_ZN5torch8autograd6Engine9not_thereEv",))


def test_what_the_harness_runs_is_decided_by_the_request_alone():
    call = {"op": "call", "path": "m.py", "module": "m", "function": "f", "args": [], "leaves": []}
    leaf = {"op": "leaf", "value": [1.0], "requires_grad": True}
    assert engine_probe.harness_runs({"op": "ping"}) == 0
    assert engine_probe.harness_runs({"op": "load", "path": "m.py", "module": "m"}) == 2
    assert engine_probe.harness_runs(call) == 2
    assert engine_probe.harness_runs({**call, "draw": True}) == 3
    assert engine_probe.harness_runs({**call, "vjp": {"wrt": 0, "cotangent": None}}) == 4
    graph = {"nodes": [{**leaf, "grad": "plain", "grad_value": [1.0]}, leaf,
                       {**leaf, "grad": "graph", "grad_value": [2.0]}]}
    assert engine_probe.harness_runs({**call, "graph": graph}) == 4


def _student(cgroup: str, done: int) -> None:  # pragma: no cover - a forked child
    """Joins the run's cgroup, becomes nobody, and runs autograd every way but one call."""
    try:
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as fh:
            fh.write("0")
        if os.geteuid() == 0:
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
        x = torch.ones(2, dtype=torch.float64, requires_grad=True)
        (x * 2).sum().backward()                                      # 1: here
        worker = threading.Thread(target=lambda: torch.autograd.grad((x * 3).sum(), x))
        worker.start()                                                # 2: a thread (clone works)
        worker.join()
        child = os.fork()
        if child == 0:
            (x * 4).sum().backward()                                  # 3: a child process
            os._exit(0)
        os.waitpid(child, 0)
        with fwad.dual_level():                                       # forward AD: counted too
            fwad.make_dual(x.detach(), torch.ones(2, dtype=torch.float64))
        os.write(done, b"ok")
    except BaseException:  # what went wrong, for the assertion's message
        import traceback
        os.write(done, traceback.format_exc().encode()[-1500:])
    finally:
        os._exit(0)


@needs_kernel
def test_the_kernel_counts_the_run_s_threads_and_children_and_not_the_grader():
    with fwad.dual_level():  # its first use scripts decompositions from source: done here, uncounted
        fwad.make_dual(torch.ones(2), torch.ones(2))
    probe = engine_probe.RunProbe(f"gradkit-engine-{os.getpid()}-test")
    try:
        zero = probe.counter.read()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover
            _student(probe.cgroup, write)
        os.close(write)
        said = os.read(read, 2000)
        os.waitpid(pid, 0)
        x = torch.ones(2, requires_grad=True)
        (x * 5).sum().backward()  # the grader's own: outside the cgroup
        backward, forward = probe.counter.beyond(zero, probe.counter.read(), 0)
        assert said == b"ok"  # a thread and a fork in the counted cgroup were not refused
        assert backward == 3 and forward >= 2, (backward, forward)
        assert probe.counter.beyond(zero, probe.counter.read(), 3) == (0, forward)
    finally:
        probe.close()
    assert not os.path.exists(probe.cgroup)


@pytest.fixture(scope="module")
def scratch():
    folder = tempfile.mkdtemp(prefix="gradkit-test-")
    os.chmod(folder, 0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


HONEST_AND_NOT = '''
import torch

def plain(x):
    return x * 2

def double_backward(x):
    y = x.detach().requires_grad_()
    (y * y).sum().backward()
    return y.grad

_cache = {}

def traced_once(x):  # autograd in its first call only, the answer kept for the next ones
    if "g" not in _cache:
        y = x.detach().requires_grad_()
        (y * y).sum().backward()
        _cache["g"] = y.grad
    return _cache["g"] * 1

def forward_ad(x):
    import torch.autograd.forward_ad as fwad
    with fwad.dual_level():
        return fwad.unpack_dual(fwad.make_dual(x.detach(), torch.ones_like(x)) * 3).tangent
'''


@needs_kernel
def test_the_harness_s_own_runs_are_never_the_student_s(tmp_path, scratch):
    """Through the real sandbox: a plain call, one with a recipe whose leaves get a .grad by
    a backward pass, a vjp and a drawing are not charged; a backward or forward AD is."""
    (tmp_path / "m.py").write_text(textwrap.dedent(HONEST_AND_NOT))
    sub = started_submission(tmp_path, scratch)
    try:
        assert sub.run.rules == engine_probe.RULES_KERNEL
        x = torch.tensor([1.0, 2.0], dtype=torch.float64)
        leaf = {"op": "leaf", "value": [1.0, 2.0], "requires_grad": True}
        graph = {"nodes": [{**leaf, "grad": "plain", "grad_value": [1.0, 1.0]},
                           {**leaf, "grad": "graph", "grad_value": [2.0, 2.0]}]}
        honest = [sub.call("m", "plain", [x]), sub.call("m", "plain", [x], leaves=[0]),
                  sub.call("m", "plain", [None], graph=graph, bind={0: 1}),
                  sub.call("m", "plain", [x], leaves=[0], vjp={"wrt": 0, "cotangent": x}),
                  sub.call("m", "plain", [x], leaves=[0], draw=["x"])]
        assert [r.facts["autograd_used"] for r in honest] == [False] * 5
        assert all(r.facts["rules_observed_by"] == "kernel" for r in honest)
        used = sub.call("m", "double_backward", [x])
        assert used.facts["autograd_used"] and used.facts["backward_calls"] == 1
        assert sub.call("m", "forward_ad", [x]).facts["autograd_used"]
        assert sub.call("m", "plain", [x]).facts["autograd_used"] is False  # each function its own
        assert [sub.call("m", "traced_once", [x]).facts["autograd_used"] for _ in range(3)] == [True] * 3
        assert sub.call("m", "plain", [x]).facts["autograd_used"] is False
        assert not [f for f in sub.flags if f["event"] == "engine_kernel"]  # the replies agreed
    finally:
        sub.close()
        sub.run.close()


IMPORT_TIME = '''
import torch
_x = torch.ones(2, requires_grad=True)
(_x * 2).sum().backward()   # at import: no call owns it

def plain(x):
    return x * 2
'''


@needs_kernel
def test_a_run_at_import_counts_against_every_later_call(tmp_path, scratch):
    (tmp_path / "m.py").write_text(IMPORT_TIME)
    sub = started_submission(tmp_path, scratch)
    try:
        x = torch.ones(2, dtype=torch.float64)
        assert [sub.call("m", "plain", [x]).facts["autograd_used"] for _ in range(2)] == [True, True]
    finally:
        sub.close()
        sub.run.close()


def test_turned_off_the_results_say_the_rules_are_only_the_worker_s(tmp_path):
    """Second style: the whole CLI, with the kernel level turned off in the grader's own
    environment (what an ordinary user, or Docker's seccomp, gets): the forgery that signs
    its replies keeps its points, and the results say the rules were in-process."""
    out = tmp_path / "out.json"
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade",
                           str(SUBMISSIONS / "forgeries" / "key_forge"), "--json", str(out),
                           "--topics", "manual_grad"], capture_output=True, text=True, timeout=300,
                          env=cli_env(GRADKIT_KERNEL_RULES="0", GRADKIT_EXAMPLES="3"))
    assert done.returncode == 0, done.stderr
    iso = json.loads(out.read_text())["environment"]["isolation"]
    assert iso["rules"] == engine_probe.RULES_IN_PROCESS
    assert "GRADKIT_KERNEL_RULES" in iso["rules_why"]


def test_as_an_ordinary_user_the_kernel_refuses_and_the_results_say_so(tmp_path):
    from tests.test_isolation import AS_NOBODY, _nobody_can_grade
    why = _nobody_can_grade()
    if why:
        pytest.skip(why)
    import subprocess
    import sys
    work = Path(tempfile.mkdtemp(prefix="gradkit-nobody-", dir="/var/tmp"))
    try:
        work.chmod(0o777)
        code = ("from gradkit.untrusted import engine_probe as e; import json; "
                "print(json.dumps([e.level(), e.unavailable()]))")
        done = subprocess.run([*AS_NOBODY, sys.executable, "-c", code], capture_output=True,
                              text=True, timeout=120, env=cli_env(HOME=str(work), TMPDIR=str(work)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    level, why_not = json.loads(done.stdout)
    if int(Path("/proc/sys/kernel/perf_event_paranoid").read_text()) < 2:
        pytest.skip("perf_event_paranoid < 2: an ordinary user may count here")
    assert level == engine_probe.RULES_IN_PROCESS and why_not, (level, why_not)


def test_the_solutions_are_never_charged_in_the_session_s_grading(graded):
    """Every topic's solution, graded once for the session: the kernel held where it can,
    no call of theirs was charged, and no reply contradicted the kernel."""
    result = graded["solutions"]
    assert result.score == result.max_score
    assert result.environment["isolation"]["rules"] == engine_probe.level()
    assert not [f for f in result.flags if f["event"] == "engine_kernel"]


def test_counters_closed_elsewhere_are_closed_here_at_once_and_there_after():
    """The kernel's grace periods for closing counters are a grandchild's to wait for, not
    the grader's exit (gradkit/untrusted/engine_probe.py ``_close_elsewhere``)."""
    r, w = os.pipe()
    engine_probe._close_elsewhere([w])
    with pytest.raises(OSError):
        os.fstat(w)
    assert select.select([r], [], [], 30)[0], "the grandchild kept its copy"
    assert os.read(r, 1) == b""
    os.close(r)


@needs_kernel
def test_a_run_s_probe_needs_no_trial_probe_first(monkeypatch):
    tried = []
    monkeypatch.setattr(engine_probe, "_KNOWN", {})
    monkeypatch.setattr(engine_probe, "_trial", lambda: tried.append(1))
    probe = engine_probe.start(f"gradkit-engine-{os.getpid()}-test")
    assert probe is not None
    probe.close()
    assert engine_probe.unavailable() is None and engine_probe.level() == engine_probe.RULES_KERNEL
    assert tried == []
