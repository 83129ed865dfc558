"""Warm grader processes for `gradkit grade-batch`.

A ``GraderProcess`` is a long-lived ``python -m gradkit.batch_workers`` that
imported torch (and the checks) once and then grades one submission after another
with ``runner.grade``; each grading sets up its own isolation (sandbox, workers,
scratch), exactly as `gradkit grade` does. So an extra submission costs a grading,
not an interpreter and a torch import.

The protocol is one JSON line per job on the process's stdin and one JSON line per
answer on a private copy of its stdout; everything else the grading prints (fds 1
and 2, the zygote's and workers' included) goes to that job's log file, which is
kept beside the results only when the grading broke. A process that dies or runs
past the submission's time limit is killed with its whole process group and the
next job gets a fresh one; the job it was on is recorded as failed, its log kept.

The process ignores SIGINT: Ctrl-C in a terminal reaches the whole process group,
and it is the batch (the parent) that decides what an interrupt means.
"""

from __future__ import annotations

from typing import IO
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PER_SUBMISSION_TIMEOUT_S = 30 * 60


class GraderProcess:
    """One warm grader process, started on first use and again after it died."""

    def __init__(self, env: dict | None = None):
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.graded = 0

    def _start(self) -> subprocess.Popen:
        kit = str(Path(__file__).resolve().parent.parent)
        env = dict(self.env or os.environ)
        env["PYTHONPATH"] = kit + os.pathsep + env.get("PYTHONPATH", "") if env.get(
            "PYTHONPATH") else kit
        return subprocess.Popen(
            [sys.executable, "-m", "gradkit.batch_workers"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=kit,
            start_new_session=True)  # its own group: a kill takes zygote and workers too

    def grade(self, folder: str, out: str, log: str, options: dict,
              timeout: float = PER_SUBMISSION_TIMEOUT_S) -> str:
        """Grade ``folder`` into the results file ``out``; returns "graded" or "failed"
        ("failed": the results file says the submission could not be graded, and the
        grading's own output is kept in ``log``)."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.proc = self._start()
            proc = self.proc  # ``stop()`` from another thread (Ctrl-C) may clear self.proc
            # the process runs in the kit's folder: a relative path would mean another file
            job = {"folder": os.path.abspath(folder), "out": os.path.abspath(out),
                   "log": os.path.abspath(log), **options}
            assert proc.stdin is not None and proc.stdout is not None  # both PIPE
            try:
                proc.stdin.write((json.dumps(job) + "\n").encode())
                proc.stdin.flush()
                line = _readline(proc.stdout, timeout)
            except (OSError, ValueError):  # a broken pipe, or a pipe closed by stop()
                line = None
            if line is None:  # died, or ran past the time limit
                self.stop()
                return "crashed"
            self.graded += 1
            try:
                return json.loads(line).get("outcome", "failed")
            except ValueError:
                self.stop()
                return "crashed"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _readline(stream: IO[bytes], timeout: float) -> bytes | None:
    """One line from ``stream`` within ``timeout`` seconds; None on EOF or timeout."""
    box: list = []

    def read() -> None:
        try:
            box.append(stream.readline())
        except (OSError, ValueError):  # closed under us: the process was stopped
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive() or not box or not box[0]:
        return None
    return box[0]


def main() -> None:  # pragma: no cover - runs as its own process
    """The grader process: read jobs, grade, answer."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.environ.setdefault("GRADKIT_BATCH_WORKER", "1")
    from . import i18n, runner  # torch, once
    from .reporters import formats

    for line in sys.stdin:
        job = json.loads(line)
        outcome = "failed"
        log_fd = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        saved = os.dup(1), os.dup(2)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        try:
            if job.get("lang"):
                i18n.set_language(job["lang"])
            result = runner.grade(job["folder"], job.get("topics") or None,
                                  timeout=float(job.get("timeout", 10.0)),
                                  protect=[os.path.dirname(os.path.abspath(job["out"]))],
                                  fail_fast=bool(job.get("fail_fast")),
                                  functions=job.get("functions") or None,  # gradkit.notebook
                                  pictures=bool(job.get("pictures")))  # gradkit.notebook
            formats.write(result, "json", job["out"], reveal_hidden=True)
            outcome = "graded"
        except runner.GradingError as exc:
            formats.write_failure("json", str(exc), job["out"], job.get("submission", ""))
            print(f"gradkit: {exc}", file=sys.stderr)
        except Exception as exc:  # the grader's own bug: this row fails, the batch goes on
            import traceback
            traceback.print_exc()
            formats.write_failure("json", f"{type(exc).__name__}: {exc}", job["out"],
                                  job.get("submission", ""))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, log_fd):
                os.close(fd)
        if outcome == "graded":
            try:
                os.unlink(job["log"])  # a clean grading leaves no log
            except OSError:
                pass
        answers.write(json.dumps({"outcome": outcome, "at": time.time()}) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
