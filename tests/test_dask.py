"""`grade-batch --scheduler`: a small class graded through a real Dask scheduler and two
Dask workers, each a process of its own on 127.0.0.1, over TLS with certificates made by
`gradkit cluster-certs` (encryption required everywhere), with the same results and CSV as
a local batch; and the cluster stays closed to a machine without the course's certificates."""

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
pytest.importorskip("cryptography", reason="the 'batch' extra's cryptography is not installed")
DASK = os.path.join(os.path.dirname(sys.executable), "dask")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _certs(folder):
    """The course's CA and certificates, made as an instructor would."""
    done = subprocess.run([sys.executable, "-m", "gradkit", "cluster-certs", str(folder)],
                          capture_output=True, text=True, env=cli_env(), cwd=KIT, timeout=120)
    assert done.returncode == 0, done.stderr
    return folder


def _tls(certs, role):
    return ["--tls-ca-file", str(certs / "ca.pem"), "--tls-cert", str(certs / f"{role}.pem"),
            "--tls-key", str(certs / f"{role}.key")]


def _security(certs, role="client"):
    return distributed.Security(tls_ca_file=str(certs / "ca.pem"),
                                tls_client_cert=str(certs / f"{role}.pem"),
                                tls_client_key=str(certs / f"{role}.key"), require_encryption=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A TLS scheduler and two single-thread TLS workers, as processes; yields (address,
    the certificates' folder)."""
    if not os.path.exists(DASK):
        pytest.skip("the dask command line is not installed beside this Python")
    tmp_path = tmp_path_factory.mktemp("cluster")
    certs = _certs(tmp_path / "certs")
    port = _free_port()
    address = f"tls://127.0.0.1:{port}"
    env = cli_env(DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION="True")
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs = [subprocess.Popen([DASK, "scheduler", "--protocol", "tls", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard", *_tls(certs, "scheduler")],
                              cwd=tmp_path, env=env,
                              stdout=open(logs / "scheduler.txt", "w"), stderr=subprocess.STDOUT)]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [DASK, "worker", address, "--protocol", "tls", "--host", "127.0.0.1",
                 "--nthreads", "1", "--no-nanny", "--no-dashboard", "--memory-limit", "0",
                 "--name", f"w{i}", *_tls(certs, "worker")],
                cwd=tmp_path, env=env, stdout=open(logs / f"worker{i}.txt", "w"),
                stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 120
        while True:
            try:
                with distributed.Client(address, timeout="5s", security=_security(certs)) as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except (OSError, TimeoutError) as exc:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    pytest.fail(f"the Dask cluster did not start: {exc}\n" + "\n".join(
                        f.read_text()[-2000:] for f in logs.iterdir()))
                time.sleep(1)
        yield address, certs
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
    cluster, certs = cluster
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
               "--scheduler", cluster, "--tls-ca", str(certs / "ca.pem"),
               "--tls-cert", str(certs / "client.pem"), "--tls-key", str(certs / "client.key"),
               "--class-html", str(out / "class.html")]
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
    with distributed.Client(cluster, timeout="10s", security=_security(certs)) as client:
        graders = client.run(_graders_here)
    assert sum(graders.values()) >= 1, graders  # the gradings ran on the Dask workers
    # The class view reads what the cluster sent back, as for a local batch.
    page = (out / "class.html").read_text(encoding="utf-8")
    assert 'data-pair="alice|carol" data-similarity="1.000"' in page  # two copies of one submission
    assert {p.stem for p in (out / "results").glob("*.html")} == {"alice", "bob", "carol"}
    canvas = list(csv.reader(open(out / "grades.canvas.csv", encoding="utf-8")))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    again = subprocess.run(command, capture_output=True, text=True, env=cli_env(), cwd=KIT,
                           timeout=300)
    assert "0 graded, 4 kept from an earlier run, 1 could not be graded" in again.stdout


def _graders_here() -> int:
    from gradkit import dask_batch
    return sum(g.graded for g in dask_batch._GRADERS.values())


def test_the_cluster_is_closed_to_anyone_without_the_courses_certificates(tmp_path, cluster):
    """An attacker on the network: no certificate, plain tcp, or a certificate of their own
    CA (made with the very same command). None of them reaches the scheduler, so none can
    submit a task."""
    address, certs = cluster
    stranger = _certs(tmp_path / "stranger")
    assert not _raw_tls_answers(address), "a TLS client without a certificate got an answer"
    assert not _raw_tls_answers(address, stranger), "a stranger's certificate got an answer"
    assert _raw_tls_answers(address, certs), "the probe itself is wrong: the course's own cert"
    attempts = {"plain tcp": {"address": address.replace("tls://", "tcp://")},
                "another CA": {"security": _security(stranger)},
                "a worker's own CA file, a stranger's cert": {"security": distributed.Security(
                    tls_ca_file=str(certs / "ca.pem"), tls_client_cert=str(stranger / "client.pem"),
                    tls_client_key=str(stranger / "client.key"), require_encryption=True)}}
    for what, how in attempts.items():
        with pytest.raises((OSError, TimeoutError, ValueError)):
            with distributed.Client(how.get("address", address), timeout="3s",
                                    security=how.get("security")) as client:
                client.submit(os.getpid).result(timeout=5)
            pytest.fail(f"{what}: connected")
    # The course's client certificate does connect, and its tasks run.
    with distributed.Client(address, timeout="10s", security=_security(certs)) as client:
        assert client.submit(sum, [1, 2]).result(timeout=30) == 3


def _raw_tls_answers(address: str, certs=None) -> bytes:
    """What the scheduler says to a TLS client that checks nothing and shows the client
    certificate in ``certs`` (none if None): a stranger must get nothing, as the scheduler
    asks for a certificate of the course's CA and drops the connection without one."""
    import ssl
    host, port = address.removeprefix("tls://").rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    if certs is not None:
        context.load_cert_chain(str(certs / "client.pem"), str(certs / "client.key"))
    try:
        with socket.create_connection((host, int(port)), timeout=5) as raw, \
                context.wrap_socket(raw) as tls:
            tls.sendall(b"\x00" * 16)
            return tls.recv(64)
    except (ssl.SSLError, ConnectionError, TimeoutError):
        return b""


def test_plain_tcp_is_refused_off_this_machine_unless_insecure(tmp_path):
    from gradkit import cluster_tls

    (tmp_path / "class").mkdir()
    command = [sys.executable, "-m", "gradkit", "grade-batch", str(tmp_path / "class"), "--csv",
               str(tmp_path / "g.csv"), "--scheduler", "tcp://192.0.2.7:8786"]
    refused = subprocess.run(command, capture_output=True, text=True, env=cli_env(), cwd=KIT,
                             timeout=120)
    assert refused.returncode == 2 and "refused: plain tcp://" in refused.stderr
    assert not (tmp_path / "g.csv").exists()  # nothing was sent anywhere
    tls_without_files = subprocess.run(command[:-1] + ["tls://192.0.2.7:8786"], capture_output=True,
                                       text=True, env=cli_env(), cwd=KIT, timeout=120)
    assert tls_without_files.returncode == 2 and "--tls-ca" in tls_without_files.stderr
    assert cluster_tls.connection("tcp://127.0.0.1:8786", None, None, None) == (None, None)
    assert cluster_tls.connection("[::1]:8786", None, None, None) == (None, None)
    security, warning = cluster_tls.connection("tcp://192.0.2.7:8786", None, None, None,
                                               insecure=True)
    assert security is None and warning.startswith("warning: plain tcp://")
    for sneaky in ("tcp://127.0.0.1.evil.example:8786", "tcp://0.0.0.0:8786", "ws://127.0.0.1:1"):
        with pytest.raises(cluster_tls.ClusterError):
            cluster_tls.connection(sneaky, None, None, None)


def test_certificates_are_never_overwritten_and_keys_are_private(tmp_path):
    from gradkit import cluster_tls

    made = cluster_tls.make_certs(tmp_path, names=("worker-01",), hosts=("grader1", "10.0.0.5"))
    cert, key = made["worker-01"]
    assert oct(key.stat().st_mode & 0o777) == "0o600" and oct((tmp_path / "ca.key").stat().st_mode
                                                              & 0o777) == "0o600"
    with pytest.raises(cluster_tls.ClusterError):
        cluster_tls.make_certs(tmp_path, names=("worker-01",))
    ca = (tmp_path / "ca.pem").read_bytes()
    cluster_tls.make_certs(tmp_path, names=("worker-02",))  # the same CA signs a new machine
    assert (tmp_path / "ca.pem").read_bytes() == ca
    import ssl
    context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    context.load_cert_chain(str(tmp_path / "worker-02.pem"), str(tmp_path / "worker-02.key"))
