"""`gradkit grade-batch --scheduler tls://HOST:8786`: the batch on a Dask distributed cluster.

Each Dask task grades one submission: the client sends the submission's files (a
zip is unpacked and checked here first, with the same caps as locally), the task
grades them on its Dask worker's warm grader process (``batch_workers``, one per
worker thread, started on the first task and kept), with the same isolation and
budgets as a local batch, and returns the results file's text and, when the grading
broke, its log. The client writes results, logs, CSV and summary exactly as locally.

Every machine needs the kit installed (``pip install 'gradkit[batch]'``) and runs
``dask worker tls://HOST:8786 --nthreads 1`` with the course's certificates per grader it
should run (about 300 MB each); the scheduler is ``dask scheduler --protocol tls``. The
cluster is closed (``cluster_tls``): every connection is TLS with a certificate the
course's CA signed; plain ``tcp://`` only on this machine or with ``--insecure``.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import batch
from .reporters import formats, json_report

if TYPE_CHECKING:
    from distributed import Security

    from .batch_workers import GraderProcess

_GRADERS: dict[int, GraderProcess] = {}
_GRADERS_LOCK = threading.Lock()


def _grader() -> GraderProcess:
    """This Dask worker thread's warm grader process."""
    from .batch_workers import GraderProcess

    with _GRADERS_LOCK:
        return _GRADERS.setdefault(threading.get_ident(), GraderProcess())


def pack(folder: Path) -> bytes:
    """The submission folder's files as zip bytes (links followed only at the top)."""
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(root, d)))
            for name in sorted(files):
                path = os.path.join(root, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                total += os.path.getsize(path)
                if total > batch.MAX_UNPACKED_BYTES:
                    raise batch.UnsafeZip(f"{folder.name} is larger than "
                                          f"{batch.MAX_UNPACKED_BYTES >> 20} MB")
                zf.write(path, os.path.relpath(path, folder))
    return buffer.getvalue()


def grade_task(student: str, payload: bytes, options: dict[str, Any]) -> tuple[str, str | None, str]:
    """Runs on a Dask worker: grade one submission. Returns (outcome, results file text or
    None, the grading's log when it broke)."""
    with tempfile.TemporaryDirectory(prefix="gradkit-dask-") as tmp:
        archive = Path(tmp) / "submission.zip"
        archive.write_bytes(payload)
        folder = batch.unpack(archive, Path(tmp) / student)
        out, log = Path(tmp) / "out" / "result.json", Path(tmp) / "out" / "result.log"
        out.parent.mkdir()
        outcome = _grader().grade(str(folder), str(out), str(log), options)
        result = out.read_text(encoding="utf-8") if batch._valid(out) else None
        trace = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return outcome, result, trace


def grade_all(scheduler: str, todo: dict[str, Path], out_dir: Path, options: dict[str, Any],
              force: bool, done: batch.Done, security: Security | None = None) -> None:
    """Grade ``todo`` on the cluster at ``scheduler`` (with ``security``: see
    ``cluster_tls.connection``); ``done(student, outcome)`` for each."""
    from distributed import Client, as_completed

    payloads: dict[str, tuple[Path, bytes]] = {}
    for student, source in todo.items():
        out = out_dir / f"{student}.json"
        if out.exists() and not force and batch._valid(out):
            done(student, "kept")
            continue
        try:
            with tempfile.TemporaryDirectory(prefix="gradkit-batch-") as tmp:
                folder = (batch.unpack(source, Path(tmp) / student) if source.suffix == ".zip"
                          else source)
                payloads[student] = source, pack(folder)
        except (batch.UnsafeZip, zipfile.BadZipFile, OSError) as exc:
            batch.record_failure(out, out.with_suffix(".log"), str(exc), str(source))
            done(student, "failed")
    if not payloads:
        return
    with Client(scheduler, timeout="30s", security=security) as client:
        futures = {client.submit(grade_task, student, payload, options, pure=False,
                                 key=f"gradkit-grade-{student}-{os.getpid()}-{id(payloads)}"):
                   student for student, (_, payload) in payloads.items()}
        try:
            for future in as_completed(futures):
                student = futures[future]
                source = payloads[student][0]
                try:
                    outcome, result, trace = future.result()
                except Exception as exc:  # the task itself failed (a lost worker, say)
                    outcome, result, trace = "crashed", None, f"{type(exc).__name__}: {exc}"
                _record(student, source, out_dir, outcome, result, trace)
                done(student, "graded" if outcome == "graded" and result else "failed")
        except KeyboardInterrupt:
            client.cancel(list(futures))  # in flight: dropped, nothing recorded
            raise


def _record(student: str, source: Path, out_dir: Path, outcome: str, result: str | None,
            trace: str) -> None:
    out, log = out_dir / f"{student}.json", out_dir / f"{student}.log"
    if result is not None:
        data = json.loads(result)
        data["submission"] = str(source.resolve())
        json_report.write_text(json.dumps(data, ensure_ascii=False, indent=1), str(out))
    else:
        formats.write_failure("json", "the grader stopped before writing a result", str(out),
                              str(source))
    if outcome != "graded" or result is None:  # a failed grading always keeps a log
        log.write_text(trace, encoding="utf-8")
        batch.keep_log(log, f"the grading on the cluster ended as {outcome!r}")
    elif log.exists():
        log.unlink()
