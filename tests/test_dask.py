"""`grade-batch --scheduler`: a small class graded through a real Dask scheduler and two
Dask workers, each a process of its own on 127.0.0.1, with the same results and CSV as a
local batch."""

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile

import pytest

from tests.kit import KIT, SOLUTIONS, build_mixed, cli_env

distributed = pytest.importorskip("distributed", reason="Dask is not installed "
                                  "(pip install -e '.[batch]'; make test installs it)")
DASK = os.path.join(os.path.dirname(sys.executable), "dask")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-thread workers, as processes; yields the address."""
    if not os.path.exists(DASK):
        pytest.skip("the dask command line is not installed beside this Python")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = cli_env()
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], cwd=tmp_path, env=env,
                              stdout=open(logs / "scheduler.txt", "w"), stderr=subprocess.STDOUT)]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--memory-limit", "0", "--name", f"w{i}"],
                cwd=tmp_path, env=env, stdout=open(logs / f"worker{i}.txt", "w"),
                stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 120
        while True:
            try:
                with distributed.Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except (OSError, TimeoutError) as exc:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    pytest.fail(f"the Dask cluster did not start: {exc}\n" + "\n".join(
                        f.read_text()[-2000:] for f in logs.iterdir()))
                time.sleep(1)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_a_class_graded_through_a_real_dask_scheduler(tmp_path, cluster):
    subs = tmp_path / "class"
    subs.mkdir()
    shutil.copytree(SOLUTIONS, subs / "alice")
    mixed = build_mixed(tmp_path / "mixed")
    with zipfile.ZipFile(subs / "bob.zip", "w") as zf:  # a zip travels as its files
        for file in mixed.rglob("*.py"):
            zf.write(file, "work/" + str(file.relative_to(mixed)))
    shutil.copytree(SOLUTIONS, subs / "carol")
    (subs / "frank.zip").write_bytes(b"not a zip at all")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gradkit", "grade-batch", str(subs), "--csv",
               str(out / "grades.csv"), "--topics", "manual_grad", "retain_graph",
               "--scheduler", cluster]
    first = subprocess.run(command, capture_output=True, text=True, env=cli_env(), cwd=KIT,
                           timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 graded, 0 kept from an earlier run, 1 could not be graded" in first.stdout
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert set(rows) == {"alice", "bob", "carol", "frank"}
    assert rows["alice"]["score"] == rows["alice"]["max_score"] == "15" == rows["carol"]["score"]
    assert 0 < float(rows["bob"]["score"]) < 15
    assert rows["frank"]["score"] == "0" and rows["frank"]["max_score"] == "15"
    bob = json.loads((out / "results" / "bob.json").read_text())
    assert bob["submission"] == str((subs / "bob.zip").resolve())
    summary = {f"{r['topic']}.{r['function']}": r for r in
               json.loads((out / "results" / "summary.json").read_text())}
    assert summary["manual_grad.linear_mse_grad"]["misconceptions"][0][0] == "dropped_factor_2"
    with distributed.Client(cluster, timeout="10s") as client:
        graders = client.run(_graders_here)
    assert sum(graders.values()) >= 1, graders  # the gradings ran on the Dask workers
    again = subprocess.run(command, capture_output=True, text=True, env=cli_env(), cwd=KIT,
                           timeout=300)
    assert "0 graded, 4 kept from an earlier run, 1 could not be graded" in again.stdout


def _graders_here() -> int:
    from gradkit import dask_batch
    return sum(g.graded for g in dask_batch._GRADERS.values())
