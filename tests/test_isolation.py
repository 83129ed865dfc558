"""Isolation of student code, level by level (see gradkit/untrusted/isolation.py), against
the hostile submissions in tests/submissions/attacks/. As root every level is tried
(namespaces where the kernel allows them, uid, none); as an ordinary user the levels
that user can have."""

import json
import os
import resource
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from gradkit.runner import CHECKS_DIR, KIT_DIR
from gradkit.untrusted import isolation, privileges
from gradkit.untrusted.sandbox import Run, Submission, Zygote
from gradkit.verdicts import FatalStudentError
from tests.kit import SUBMISSIONS, cli_env, grade_in_one_fresh_process, overlay

ATTACKS = SUBMISSIONS / "attacks"
ROOT = os.geteuid() == 0
NAMESPACES = isolation.namespaces_possible()
# uid mode needs Python readable by other users (namespace mode does not).
UID_BLOCKED = ("uid mode needs root" if not ROOT else
               privileges.unreadable_for(privileges.uid_range()[1]) and
               "uid mode needs Python readable by other users; here the sandbox uid cannot "
               f"enter {privileges.unreadable_for(privileges.uid_range()[1])}")
LEVELS = [pytest.param("namespaces", marks=pytest.mark.skipif(
              not NAMESPACES, reason="this kernel or container refuses new namespaces")),
          pytest.param("uid", marks=pytest.mark.skipif(bool(UID_BLOCKED), reason=str(UID_BLOCKED))),
          "none"]
CONFINED = LEVELS[:2]  # the levels that keep student code from the grader's files


@pytest.fixture
def scratch():
    """The grader's scratch, in a folder every uid may pass through (uid mode's home is
    inside it), whatever the machine's temporary folder allows."""
    base = tempfile.mkdtemp(prefix="gradkit-test-", dir="/var/tmp" if ROOT else None)
    os.chmod(base, 0o711)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _submission(tmp_path, *attacks, name="sub"):
    folder = tmp_path / name
    folder.mkdir()
    for attack in attacks:
        shutil.copy(ATTACKS / f"{attack}.py", folder / f"{attack}.py")
    return folder


def _open(folder, scratch, level, factory=None, **kw):
    run = Run(str(folder), scratch, level=level, factory=factory, **kw)
    sub = Submission(str(folder), factory, scratch, run=run)
    sub.own_run = True  # closing the submission ends its run
    return sub


def _secret(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE\n")
    secret.chmod(0o600)
    return secret


@pytest.mark.parametrize("level", LEVELS)
def test_links_and_fifos_where_the_output_was_leak_nothing_and_never_hang(tmp_path, scratch, level):
    secret = _secret(tmp_path)
    sub = _open(_submission(tmp_path, "plant_links"), scratch, level)
    started = time.monotonic()
    try:
        with pytest.raises(FatalStudentError) as err:
            sub.call("plant_links", "probe", [str(secret)])
    finally:
        sub.close()
        if level == "none":  # nothing confined what it planted: take it away
            for place in isolation.SHARED_TMP:
                for i in range(4):
                    try:
                        os.unlink(os.path.join(place, f"output-{i}.txt"))
                    except OSError:
                        pass
    assert err.value.kind == "crash"
    assert "TOP-SECRET" not in err.value.message
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("level", CONFINED)
def test_leftovers_in_shared_tmp_do_not_outlive_the_run(tmp_path, scratch, level, monkeypatch):
    monkeypatch.setenv("GRADKIT_SANDBOX_UIDS", "61990-61999")  # a range no other run uses
    marker = f"gradkit-leftover-{os.getpid()}"
    folder = _submission(tmp_path, "leftovers")
    first = _open(folder, scratch, level)
    try:
        assert first.call("leftovers", "write", [marker]).value is True
        uid = first.run.uid
    finally:
        first.close()
    for place in isolation.SHARED_TMP:  # nothing on the machine, whoever owns it
        assert not os.path.lexists(os.path.join(place, marker))
    second = _open(folder, scratch, level)  # the same uid again: it is free
    try:
        assert second.run.uid == uid
        assert second.call("leftovers", "look", [marker]).value == []
    finally:
        second.close()


def _snoop(sub, paths, port=1, fds=()):
    return sub.call("snoop", "probe", [[str(p) for p in paths], os.getpid(), port,
                                       list(fds)]).value


@pytest.mark.parametrize("level", CONFINED)
def test_a_concurrent_classmate_cannot_read_the_other_run(tmp_path, scratch, level):
    first = _open(_submission(tmp_path, "snoop", name="alice"), scratch, level)
    second = _open(_submission(tmp_path, "snoop", name="bob"), scratch, level)
    try:
        first.call("snoop", "probe", [[], 1, 1, []])
        theirs = first.run.path_inside(str(tmp_path / "alice" / "snoop.py"))
        if level == "uid":
            assert first.run.uid != second.run.uid
        found = _snoop(second, [theirs])
    finally:
        first.close()
        second.close()
    assert found["readable"] == [] if level == "uid" else True
    if level == "namespaces":  # the same path inside is bob's own copy, not alice's
        assert first.run.inside == second.run.inside


@pytest.mark.skipif(not NAMESPACES, reason="this kernel or container refuses new namespaces")
def test_in_namespaces_the_kit_the_network_and_the_grader_are_not_there(tmp_path, scratch):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    results = tmp_path / "results"
    results.mkdir()
    (results / "results.json").write_text("{}")
    paths = [CHECKS_DIR / "gd_loop.py", KIT_DIR / "solutions" / "gd_loop.py",
             KIT_DIR / "tests" / "kit.py", results / "results.json", _secret(tmp_path)]
    sub = _open(_submission(tmp_path, "snoop"), scratch, "namespaces")
    try:
        found = _snoop(sub, paths, port)
    finally:
        sub.close()
        listener.close()
    assert found["exists"] == [] and found["readable"] == []
    assert not found["network"] and not found["signal_grader"]


@pytest.mark.skipif(bool(UID_BLOCKED), reason=str(UID_BLOCKED))
def test_in_uid_mode_the_grader_and_root_files_are_out_of_reach(tmp_path, scratch):
    listener = socket.create_server(("127.0.0.1", 0))
    sub = _open(_submission(tmp_path, "snoop"), scratch, "uid")
    try:
        found = _snoop(sub, [_secret(tmp_path), "/etc/shadow"], listener.getsockname()[1])
    finally:
        sub.close()
        listener.close()
    assert found["readable"] == [] and not found["signal_grader"] and found["uid"] >= 61000


def test_the_graders_secrets_and_descriptors_stay_with_the_grader(tmp_path, scratch):
    os.environ["GRADKIT_TEST_TOKEN"] = "tok-123-secret"
    leaked = os.open(_secret(tmp_path), os.O_RDONLY)
    os.set_inheritable(leaked, True)
    factory = Zygote()  # forked now: it inherits the token and the descriptor
    try:
        sub = _open(_submission(tmp_path, "snoop"), scratch, isolation.level(), factory=factory)
        try:
            found = _snoop(sub, [], fds=[leaked, 3, 4, 5, 6, 7, 8, 9, 10])
        finally:
            sub.close()
    finally:
        factory.close()
        os.close(leaked)
        del os.environ["GRADKIT_TEST_TOKEN"]
    assert "GRADKIT_TEST_TOKEN" not in found["env"] and "tok-123" not in found["environ"]
    assert found["env"]["TMPDIR"] == "/tmp" and found["env"]["HOME"]
    assert leaked not in found["inherited"]
    assert len(found["inherited"]) <= 2  # its channel, and listdir's own


def test_the_token_in_the_graders_environment_never_reaches_feedback(tmp_path):
    leak = '''
import os
def linear_mse_grad(x, y, w, b):
    with open("/proc/self/environ", "rb") as fh:
        raise RuntimeError(repr(dict(os.environ)) + repr(fh.read()))
'''
    folder = overlay(tmp_path / "sub", {"manual_grad": leak})
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(folder), "--json", str(out),
                           "--topics", "manual_grad"], capture_output=True, text=True, timeout=300,
                          env=cli_env(GRADER_API_TOKEN="tok-9f8e7d-secret"))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "RuntimeError" in text and "tok-9f8e7d" not in text


@pytest.mark.parametrize("fn", ["until_memory_error", "giant_tensor"])
def test_running_out_of_memory_ends_the_function_at_once(tmp_path, scratch, fn):
    sub = _open(_submission(tmp_path, "hogs"), scratch, isolation.level())
    sub.timeout = 30.0  # filling 3 GB takes a few seconds on a busy machine: not a hang
    try:
        started = time.monotonic()
        with pytest.raises(FatalStudentError) as err:
            sub.call("hogs", fn, [1])
        assert err.value.kind == "crash"  # fatal: hypothesis does not shrink it
        with pytest.raises(FatalStudentError):
            sub.call("hogs", fn, [1])
        assert time.monotonic() - started < 40
    finally:
        sub.close()


def test_a_cap_holds_all_of_a_runs_processes_together(tmp_path, scratch):
    sub = _open(_submission(tmp_path, "hogs"), scratch, isolation.level(), memory_mb=400)
    try:
        if sub.run.memory_cap_mb is None:
            pytest.skip("no cgroup memory controller this process may use (per-process "
                        "RLIMIT_AS only)")
        try:  # three processes of 200 MB under 400 MB: one at least is killed
            statuses = sub.call("hogs", "together", [200, 3]).value
            assert any(s != 0 for s in statuses)
        except FatalStudentError as err:  # or the worker itself went
            assert err.kind == "crash"
    finally:
        sub.close()


def test_the_function_budget_stops_slow_but_legal_calls(tmp_path, scratch):
    sub = _open(_submission(tmp_path, "hogs"), scratch, isolation.level())
    sub.function_budget = 1.0  # each call takes 0.4 s, well under the call timeout
    calls = 0
    try:
        with pytest.raises(FatalStudentError, match="time budget") as err:
            for calls in range(1, 20):
                sub.call("hogs", "slow", [1])
        assert err.value.kind == "timeout" and calls <= 4
    finally:
        sub.close()


def test_the_run_budget_fails_every_remaining_check_fast(tmp_path, scratch):
    sub = _open(_submission(tmp_path, "hogs"), scratch, isolation.level())
    sub.run_budget = 1.0
    try:
        with pytest.raises(FatalStudentError):
            for _ in range(10):
                sub.call("hogs", "slow", [1])
        started = time.monotonic()
        with pytest.raises(FatalStudentError, match="run's time budget"):
            sub.call("hogs", "slow", [2])
        assert time.monotonic() - started < 0.1
    finally:
        sub.close()


def test_a_huge_return_value_does_not_blow_the_graders_memory(tmp_path, scratch):
    sub = _open(_submission(tmp_path, "hogs"), scratch, isolation.level())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with pytest.raises(FatalStudentError) as err:
            sub.call("hogs", "huge", [1])
    finally:
        sub.close()
    assert err.value.kind == "bad_return"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 << 10  # KiB


@pytest.mark.parametrize("level", LEVELS)
def test_no_process_outlives_the_run_nor_rewrites_results(tmp_path, scratch, level):
    marker = {"namespaces": "601", "uid": "602", "none": "603"}[level]
    results = tmp_path / "out"
    results.mkdir(mode=0o777)
    results.chmod(0o777)  # so that only the kill can stop the rewrite
    target = results / "results.json"
    sub = _open(_submission(tmp_path, "detach"), scratch, level)
    try:
        assert sub.call("detach", "probe", [marker, str(target)]).value is True
    finally:
        sub.close()
    target.write_text('{"score": 1}')  # the real results, written after the run ended
    time.sleep(2.0)
    assert target.read_text() == '{"score": 1}'
    assert _running(f"sleep {marker}") == []


def _running(command):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if fh.read().replace(b"\0", b" ").decode().strip() == command:
                    found.append(pid)
        except OSError:
            continue
    return found


@pytest.mark.parametrize("mode", [0o1777, 0o755])
def test_out_changes_no_folders_mode(tmp_path, mode):
    folder = tmp_path / "out"
    folder.mkdir()
    folder.chmod(mode)
    sub = overlay(tmp_path / "sub", {})
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(sub), "--format", "gradescope",
                           "--out", str(folder / "results.json"), "--topics", "manual_grad"],
                          capture_output=True, text=True, env=cli_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(folder.stat().st_mode) == mode
    assert stat.S_IMODE(KIT_DIR.stat().st_mode) & 0o055 == 0o055
    data = json.loads((folder / "results.json").read_text())
    assert data["score"] == 10 and "isolation: " in data["output"]
    assert sorted(p.name for p in folder.iterdir()) == ["results.json"]


def test_every_grading_records_its_isolation_and_limits(tmp_path):
    result, again = grade_in_one_fresh_process(  # two gradings, one process: the zygote reused
        [overlay(tmp_path / "sub", {}), overlay(tmp_path / "sub2", {})], ["manual_grad"])
    iso = result.environment["isolation"]
    assert iso["level"] == isolation.level() == again.environment["isolation"]["level"]
    assert iso["limits"]["function_budget_s"] > 0 and iso["limits"]["run_budget_s"] > 0
    assert result.score == again.score == 10


AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _nobody_can_grade() -> str | None:
    if not ROOT or not shutil.which("setpriv"):
        return "needs root and setpriv to become an ordinary user"
    needed = [CHECKS_DIR / "manual_grad.py", CHECKS_DIR / "conftest.py",
              KIT_DIR / "solutions" / "manual_grad.py"]
    code = f"import torch, gradkit; [open(p, 'rb').read() for p in {[str(p) for p in needed]!r}]"
    done = subprocess.run([*AS_NOBODY, sys.executable, "-c", code], capture_output=True,
                          text=True, env=cli_env())
    if done.returncode:
        return ("an ordinary user cannot run this Python or read this clone's checks here "
                f"(a private home or folder): {done.stderr.strip().splitlines()[-1:]}")
    return None


def test_as_an_ordinary_user_grading_gets_the_best_level_it_can_have(tmp_path):
    why = _nobody_can_grade()
    if why:
        pytest.skip(why)
    work = Path(tempfile.mkdtemp(prefix="gradkit-nobody-", dir="/var/tmp"))
    try:
        work.chmod(0o777)
        sub = overlay(work / "sub", {})
        for path in [sub, *sub.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        done = subprocess.run([*AS_NOBODY, sys.executable, "-m", "gradkit", "grade", str(sub),
                               "--json", str(work / "out.json"), "--topics", "manual_grad"],
                              capture_output=True, text=True, timeout=300,
                              env=cli_env(HOME=str(work), TMPDIR=str(work)))
        assert done.returncode == 0, done.stderr
        data = json.loads((work / "out.json").read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert data["score"] == 10
    assert data["environment"]["isolation"]["level"] == ("namespaces" if NAMESPACES else "none")


@pytest.mark.skipif(not ROOT, reason="the case is root's: a 0700 folder other users cannot enter")
def test_as_root_a_clone_in_a_private_folder_grades_without_any_chmod(tmp_path):
    """`make check` from a fresh clone made with mktemp -d (0700), whatever Python (here
    and in CI, possibly under a private home): no mode of anything changes."""
    clone = Path(tempfile.mkdtemp(prefix="gradkit-clone-"))  # 0700
    try:
        for name in ("gradkit", "checks", "exercises", "solutions"):
            shutil.copytree(KIT_DIR / name, clone / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (clone, Path(sys.base_prefix))}
        done = subprocess.run([sys.executable, "-m", "gradkit", "check", "--target",
                               str(clone / "solutions"), "manual_grad"],
                              capture_output=True, text=True, cwd=clone, timeout=300,
                              env={**cli_env(), "PYTHONPATH": str(clone)})
        assert done.returncode == 0, done.stdout + done.stderr
        assert "10 / 10" in done.stdout and "isolation: " in done.stdout
        assert {p: stat.S_IMODE(p.stat().st_mode) for p in modes} == modes
    finally:
        shutil.rmtree(clone, ignore_errors=True)


def test_past_the_run_budget_the_rest_fails_at_once_and_the_result_is_valid(tmp_path):
    slow = '''
import time
_right = linear_mse_grad
def linear_mse_grad(x, y, w, b):
    time.sleep(0.3)
    return _right(x, y, w, b)
'''
    folder = overlay(tmp_path / "sub", {"manual_grad": slow})
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(folder), "--json", str(out),
                           "--topics", "manual_grad", "--budget", "1.5"], capture_output=True,
                          text=True, timeout=300, env=cli_env())
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["environment"]["isolation"]["limits"]["run_budget_s"] == 1.5
    messages = [c["message"] for f in data["functions"] for c in f["checks"] if c.get("message")]
    assert any("time budget" in m for m in messages)
    assert data["score"] < 10


_HOLD_A_UID = """
import sys, time
from gradkit.untrusted import privileges
uid, fd = privileges.reserve_uid()
print(uid, flush=True)
sys.stdin.read()  # hold the lock until told to stop
"""


@pytest.mark.skipif(not ROOT, reason="sandbox uids are handed out only when grading as root")
def test_graders_with_different_tmpdirs_never_share_a_uid(tmp_path):
    # A second grader whose TMPDIR differs once took a uid the first still held, and
    # killed the first's run as that uid's "leftovers" (a run that ended in ChannelClosed).
    holders = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        holders.append(subprocess.Popen(
            [sys.executable, "-c", _HOLD_A_UID], cwd=KIT_DIR, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "TMPDIR": str(tmp_path / name)}))
    try:
        uids = [int(h.stdout.readline()) for h in holders]
    finally:
        for h in holders:
            h.communicate("", timeout=30)
    assert uids[0] != uids[1]
