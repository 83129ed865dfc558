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


def test_a_reply_counts_only_with_the_workers_tag_for_that_request():
    """The channel's half of issue 20.3: bytes student code writes to the worker's socket
    (it can find it by descriptor number) are never read as the harness's reply."""
    import socket
    import struct

    from gradkit.untrusted import channel, wire

    key, other = os.urandom(32), os.urandom(32)
    frame = wire.encode({"ok": True, "value": torch.ones(2)})

    def deliver(body: bytes, seq: int = 7, with_key: bytes = key):
        a, b = socket.socketpair()
        with a, b:
            a.sendall(struct.pack(">Q", len(body)) + body)
            return channel.recv(b, 5, key=with_key, seq=seq)

    good = channel.sign(key, 7, frame) + frame
    assert torch.equal(deliver(good)["value"], torch.ones(2))
    forgeries = {
        "unsigned": frame + b"\0" * channel.TAG_BYTES,
        "another request's": channel.sign(key, 6, frame) + frame,
        "another worker's": channel.sign(other, 7, frame) + frame,
        "altered": good[:-1] + bytes([good[-1] ^ 1]),
        "a tag cut short": good[:channel.TAG_BYTES - 1],
    }
    for name, body in forgeries.items():
        with pytest.raises(channel.ChannelForged):
            deliver(body)
            pytest.fail(name)
    a, b = socket.socketpair()  # a length no harness frame has: forged, not "too large"
    with a, b:
        a.sendall(b"\xff" * 8)
        with pytest.raises(channel.ChannelForged):
            channel.recv(b, 5, key=key, seq=7)
        assert not channel.pending(b)
        a.sendall(b"x")
        assert channel.pending(b)


def test_the_engine_counter_sees_runs_no_mode_or_wrapper_sees():
    """torch's graph-task counter only goes up: a backward hidden from every Python mode
    (the Python dispatch key excluded, a fresh engine object) is still counted."""
    from torch.utils._python_dispatch import TorchDispatchMode

    from gradkit.untrusted.watch import EngineLedger

    class Blind(TorchDispatchMode):
        seen = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Blind.seen += 1
            return func(*args, **(kwargs or {}))

    ledger = EngineLedger()
    w = torch.ones(3, requires_grad=True)
    (w * 2).sum()  # forward ops alone are no run of the engine
    assert ledger.mark() == 0
    hidden = torch._C.DispatchKeySet(torch._C.DispatchKey.Python) | torch._C.DispatchKeySet(
        torch._C.DispatchKey.PythonTLSSnapshot)
    with Blind():
        with torch._C._ExcludeDispatchKeyGuard(hidden):
            loss = (w * w).sum()
            torch._C._ImperativeEngine().run_backward((loss,), (torch.ones(()),), False, False,
                                                      (w,), False, False)
    assert Blind.seen == 0  # no mode saw an op of it
    assert ledger.mark() == 1
    torch.autograd.grad((w * 3).sum(), w)
    (w * 4).sum().backward()
    assert ledger.mark() == 2
    assert ledger.mark(expected=0) == 0 and ledger.mark() == 0  # its own probes are not counted


def test_hooks_that_would_see_the_harness_frames_are_named_and_removed():
    from gradkit.untrusted import integrity

    check = integrity.interpreter_hooks()
    assert check() == []
    before = sys.gettrace(), sys.getprofile()
    sys.setprofile(lambda *a: None)
    try:
        assert check() == ["sys.setprofile"]
        assert sys.getprofile() is before[1]
    finally:
        sys.setprofile(before[1])
    assert check() == []


def test_a_worker_imports_one_module(tmp_path):
    """Nothing one module computed (with autograd, say) is in memory where another's
    functions could take it: each module gets a worker of its own."""
    (tmp_path / "first.py").write_text("import builtins\ndef put():\n    builtins.kept = 41\n"
                                       "    return 1\n")
    (tmp_path / "second.py").write_text("import builtins\ndef take():\n"
                                        "    return getattr(builtins, 'kept', 0)\n")
    scratch = tempfile.mkdtemp()
    sub = Submission(str(tmp_path), None, scratch)
    try:
        assert sub.call("first", "put", []).value == 1
        assert sub.call("second", "take", []).value == 0
        assert sub.spawned == 2
    finally:
        sub.close()
        shutil.rmtree(scratch, ignore_errors=True)


def test_reading_the_workers_own_memory_is_flagged(tmp_path):
    """The reply's secret lives in the worker's memory: reading that memory as a file is
    one of the reach-ins an instructor is shown."""
    (tmp_path / "m.py").write_text("import os\ndef peek():\n"
                                   "    fd = os.open('/proc/self/mem', os.O_RDONLY)\n"
                                   "    os.close(fd)\n    return 1\n")
    scratch = tempfile.mkdtemp()
    sub = Submission(str(tmp_path), None, scratch)
    try:
        sub.call("m", "peek", [])
    except Exception:  # some kernels refuse the open; the attempt is what is flagged
        pass
    finally:
        sub.close()
        shutil.rmtree(scratch, ignore_errors=True)
    assert any(f["event"] == "open" and f["detail"] == "/proc/self/mem" for f in sub.flags), sub.flags


# The integrity sweep's shortcuts (integrity.Snapshot): values compared by identity in one
# C-level pass, ``__code__`` read only once the audit hook saw one set. Each test tries to
# slip a change past one of them.

def _outcomes(tmp_path, source: str, calls: list[str], pause: float = 0.0) -> list:
    """Call ``m.<name>()`` for each name; each outcome: the value, or the error's kind."""
    (tmp_path / "m.py").write_text(source)
    scratch = tempfile.mkdtemp()
    sub = Submission(str(tmp_path), None, scratch)
    out = []
    try:
        for name in calls:
            try:
                out.append(sub.call("m", name, []).value)
            except Exception as exc:
                out.append(getattr(exc, "kind", repr(exc)))
            time.sleep(pause)
    finally:
        sub.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return out


FAKE_RELU = ("import types\nimport torch.nn.functional as F\n"
             "def _fake(input, inplace=False):\n    return input\n")


@pytest.mark.parametrize("how", ["F.relu.__code__ = _fake.__code__",
                                 "object.__setattr__(F.relu, '__code__', _fake.__code__)",
                                 "types.FunctionType.__code__.__set__(F.relu, _fake.__code__)"])
def test_a_code_swap_in_a_call_is_seen_whichever_way_it_is_set(tmp_path, how):
    source = FAKE_RELU + f"def swap():\n    {how}\n    return 1\ndef honest():\n    return 2\n"
    assert _outcomes(tmp_path, source, ["honest", "swap", "honest"]) == [2, "tampered", 2]


def test_a_code_swap_hidden_behind_patched_builtins_is_seen(tmp_path):
    """The sweep's own tools (all, map, len, operator.is_) patched while the code is
    swapped, then put back: the sweep bound its tools before student code existed."""
    source = FAKE_RELU + (
        "import builtins, operator\n"
        "def swap():\n"
        "    saved = builtins.all, builtins.map, builtins.len, operator.is_\n"
        "    builtins.all = lambda it: True\n"
        "    builtins.len = lambda x: 0\n"
        "    builtins.map = lambda *a: iter(())\n"
        "    operator.is_ = lambda a, b: True\n"
        "    F.relu.__code__ = _fake.__code__\n"
        "    builtins.all, builtins.map, builtins.len, operator.is_ = saved\n"
        "    return 1\n")
    assert _outcomes(tmp_path, source, ["swap"]) == ["tampered"]


def test_a_code_swap_between_calls_is_seen_by_a_later_call(tmp_path):
    """A thread of the submission swaps the code after its call's sweep, while the worker
    waits for the next request: the hook counted the set, so the next sweep reads code."""
    source = FAKE_RELU + (
        "import threading, time\n"
        "def later():\n"
        "    time.sleep(0.3)\n"
        "    F.relu.__code__ = _fake.__code__\n"
        "def start():\n"
        "    threading.Thread(target=later).start()\n"
        "    return 1\n"
        "def probe():\n"
        "    return 2\n")
    out = _outcomes(tmp_path, source, ["start", "probe", "probe", "probe"], pause=1.0)
    assert out[0] in (1, "tampered") and "tampered" in out[1:], out
    assert out[-1] == "tampered", out  # not trusted again, though the harness put it back


LOOKALIKES = {
    "copy": "f = F.relu\n    F.relu = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__)",
    "equal": "torch.equal = Same()",
    "cell": "F.max_pool2d.__closure__[0].cell_contents = 7",
    "type": "torch.Tensor.add = Same()",
}


@pytest.mark.parametrize("what", sorted(LOOKALIKES))
def test_a_lookalike_in_a_harness_slot_is_seen(tmp_path, what):
    """A copy with the very same code object, an object equal to everything (with the
    hash of what it replaces), a changed closure cell, a method of a type: identity, not
    equality, is what the sweep compares. (Each in a module of its own: after one change
    the module is never trusted again.)"""
    source = FAKE_RELU + (
        "import torch\n"
        "class Same:\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def __hash__(self):\n        return hash(torch.equal)\n"
        f"def change():\n    {LOOKALIKES[what]}\n    return 1\n"
        "def honest():\n    return 2\n")
    assert _outcomes(tmp_path, source, ["honest", "change"]) == [2, "tampered"]


def _screened(facts_update: dict, args=None) -> tuple[dict, list]:
    """integrity.screen on a reply to a call with ``args`` whose facts are an honest
    worker's, changed by ``facts_update``."""
    from gradkit.untrusted import integrity, wire

    args = args if args is not None else [torch.ones(3), 2.0, torch.zeros(2, 2)]
    message = {"op": "call", "module": "m", "function": "f", "args": args, "leaves": []}
    facts = {"audit": [], "tampered": [], "mutated": [],
             "inputs_digest": [wire.digest(a) if isinstance(a, torch.Tensor) else None
                               for a in args]}
    facts.update(facts_update)
    flags: list = []
    return integrity.screen(message, {"ok": True, "value": 1, "facts": facts}, flags), flags


def test_the_grader_decides_from_digests_whether_inputs_changed():
    """The worker sends digests of the inputs after the call, never the inputs: the grader
    hashes what it sent. A digest that differs where the worker says the input is
    untouched, digests that do not fit what was sent, or none, are a changed grader."""
    from gradkit.untrusted import wire

    reply, flags = _screened({})
    assert reply["ok"] and reply["facts"]["mutated"] == [] and not flags
    digests = [wire.digest(torch.tensor([1.0, 1.0, 0.0])), None, wire.digest(torch.zeros(2, 2))]
    reply, _ = _screened({"inputs_digest": digests, "mutated": [0]})
    assert reply["ok"] and reply["facts"]["mutated"] == [0]
    reply, flags = _screened({"inputs_digest": digests})  # changed, and said untouched
    assert reply["error"]["kind"] == "tampered" and "reported untouched" in flags[0]["detail"]
    reply, _ = _screened({"mutated": [2]})  # the worker's own word is kept too
    assert reply["facts"]["mutated"] == [2]
    for lie in ([None, None, None], ["0" * 32], [torch.ones(3), None, torch.zeros(2, 2)], "ab"):
        reply, flags = _screened({"inputs_digest": lie})
        assert reply["error"]["kind"] == "tampered", lie
        assert "inputs sent back do not match" in flags[0]["detail"]
    reply, flags = _screened({"inputs_digest": None})
    assert reply["error"]["kind"] == "tampered"
    facts_without = {"audit": [], "tampered": []}
    from gradkit.untrusted import integrity
    message = {"op": "call", "module": "m", "function": "f", "args": [torch.ones(1)], "leaves": []}
    flags = []
    reply = integrity.screen(message, {"ok": True, "value": 1, "facts": facts_without}, flags)
    assert reply["error"]["kind"] == "tampered" and "without the harness's facts" in flags[0]["detail"]


def test_an_input_changed_in_place_is_named_by_the_grader(tmp_path):
    """End to end: a function that scales its input in place and one that changes it and
    puts the very bytes back; only the first changed the input."""
    source = ("import torch\n"
              "def scale(x, y):\n    x.mul_(2)\n    return 1\n"
              "def undo(x, y):\n    y.add_(1)\n    y.sub_(1)\n    return 2\n")
    (tmp_path / "m.py").write_text(source)
    scratch = tempfile.mkdtemp()
    sub = Submission(str(tmp_path), None, scratch)
    try:
        x, y = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 4.0])
        assert sub.call("m", "scale", [x, y]).mutated == [0]
        assert sub.call("m", "undo", [x, y]).mutated == []
        assert torch.equal(x, torch.tensor([1.0, 2.0]))  # the grader's own copy is untouched
    finally:
        sub.close()
        shutil.rmtree(scratch, ignore_errors=True)
