"""Grader-side handles on the processes that run student code.

``Zygote`` is forked from the grader right after torch is imported and before
anything touches CUDA. Workers are forked from it on demand: a fork of a warm
process costs milliseconds and shares torch's pages, where a fresh interpreter
costs about a second and 200 MB, and a child forked from a process that has
initialised CUDA could not use the GPU at all.
"""

from __future__ import annotations

import json
import os
import signal
import socket

from . import channel, wire
from ..i18n import text
from ..verdicts import FatalStudentError, student_error

DEFAULT_TIMEOUT_S = 10.0


class Zygote:
    """A forked copy of the grader that forks workers and hands back a socket."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            ours.close()
            _zygote_main(theirs)
        theirs.close()
        self.sock, self.pid = ours, pid

    def spawn(self, output_path: str, sandbox: dict | None = None) -> tuple[socket.socket, int]:
        """A new worker writing its output to ``output_path``; ``sandbox`` (root only):
        the unprivileged identity it takes before running anything (see ``privileges``)."""
        request = {"output": output_path, "sandbox": sandbox}
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        data, fds, _, _ = socket.recv_fds(self.sock, 4096, 1)
        if not data or not fds:
            raise RuntimeError("the worker factory stopped")
        return socket.socket(fileno=fds[0]), json.loads(data)["pid"]

    def close(self) -> None:
        self.sock.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _zygote_main(sock: socket.socket) -> None:  # pragma: no cover - child process
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    reader = sock.makefile("rb")
    for line in reader:
        request = json.loads(line)
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            reader.close()
            sock.close()
            ours.close()
            os.setsid()  # its own process group, so a kill takes its children too
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                from .worker import serve
                if request.get("sandbox"):
                    from .privileges import enter
                    enter(request["sandbox"], cuda=_cuda_in_use())
                serve(theirs, request["output"])
            finally:
                os._exit(0)
        theirs.close()
        socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [ours.fileno()])
        ours.close()
    os._exit(0)


def _cuda_in_use() -> bool:
    import torch
    return torch.cuda.is_available()


class Worker:
    """One running worker process and the socket to it."""

    def __init__(self, zygote: Zygote, output_path: str, sandbox: dict | None = None):
        self.output_path = output_path
        self.sock, self.pid = zygote.spawn(output_path, sandbox)

    def request(self, message: dict, timeout: float) -> dict:
        channel.send(self.sock, message)
        return channel.recv(self.sock, timeout)

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.sock.close()

    def output_tail(self, limit: int = 800) -> str:
        try:
            with open(self.output_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - limit))
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""


class Reply:
    """What a successful call returned: the value and the harness's facts."""

    def __init__(self, value, facts: dict):
        self.value = value
        self.facts = facts

    @property
    def mutated(self) -> list[int]:
        return self.facts.get("mutated", [])


def render_error(err: dict) -> str:
    """The worker's report of what went wrong, in the run's language. The worker is
    where student code runs, so anything unexpected here is shown plainly, not trusted."""
    params = err.get("params") if isinstance(err.get("params"), dict) else {}
    params = {k: v for k, v in params.items() if isinstance(k, str)}
    where = params.pop("where", None)
    try:
        message = text(str(err.get("key")), **params)
    except (KeyError, IndexError, ValueError):
        return f"{err.get('kind')}: {params}"[:600]
    if isinstance(where, dict):
        code = f": {where.get('code')}" if where.get("code") else ""
        message += text("error.where", file=where.get("file"), line=where.get("line"), code=code)
    return message


class Submission:
    """A submission folder, called function by function through a worker.

    A function that cannot run at all (missing, not implemented, a syntax
    error, a hang) fails every later call at once, so one broken function
    costs its own checks and a hang costs its time limit once per run.
    """

    def __init__(self, folder: str, zygote: Zygote, scratch: str,
                 timeout: float = DEFAULT_TIMEOUT_S, sandbox=None):
        """``sandbox``: a ``privileges.Sandbox`` when running as root; then ``folder``
        is the sandbox user's copy of the submission and outputs go to its home."""
        self.sandbox = sandbox
        self.folder = os.path.abspath(folder)
        self.zygote = zygote
        self.scratch = scratch
        self.timeout = timeout
        self.worker: Worker | None = None
        self.broken: dict[tuple[str, str], FatalStudentError] = {}
        self.spawned = 0

    def locate(self, module: str) -> str | None:
        """The module's file: at the top of the folder, else the shallowest match."""
        top = os.path.join(self.folder, module + ".py")
        if os.path.isfile(top):
            return top
        matches = []
        for root, dirs, files in os.walk(self.folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
            if module + ".py" in files:
                matches.append(os.path.join(root, module + ".py"))
        return min(matches, key=lambda p: (p.count(os.sep), p)) if matches else None

    def call(self, module: str, function: str, args: list, *, leaves=(), graph=None,
             bind=None, vjp=None, draw: list[str] | None = None,
             label: str | None = None) -> Reply:
        """Call ``module.function(*args)`` in the worker.

        ``leaves``: argument indices the worker turns into fresh leaves requiring
        grad. ``graph``/``bind``: a recipe (see ``recipes``) the worker builds, and
        which of its nodes become which arguments (``{index: node or [nodes]}``).
        ``vjp``: ``{"wrt": index, "cotangent": tensor}``, to differentiate the
        returned tensor with that upstream gradient. ``draw``: the parameters' names,
        to have the worker draw the student's graph (``facts["drawing"]``).
        """
        label = label or f"{function}(...)"
        key = (module, function)
        if key in self.broken:
            raise self.broken[key]
        path = self.locate(module)
        if path is None:
            raise self._broken(key, student_error(
                "missing_module", text("error.missing_module", module=module), call=label))
        message = {"op": "call", "path": path, "module": module, "function": function,
                   "args": list(args), "leaves": list(leaves)}
        if graph is not None:
            message.update(graph=graph, bind={str(k): v for k, v in (bind or {}).items()})
        if vjp is not None:
            message["vjp"] = vjp
        if draw is not None:
            message.update(draw=True, names=list(draw))
        reply = self._exchange(message, key, label)
        if not reply.get("ok"):
            err = reply.get("error") if isinstance(reply.get("error"), dict) else {}
            error = student_error(str(err.get("kind", "exception")), render_error(err), call=label)
            raise self._broken(key, error) if isinstance(error, FatalStudentError) else error
        facts = reply.get("facts")
        return Reply(reply.get("value"), facts if isinstance(facts, dict) else {})

    def _exchange(self, message: dict, key, label: str) -> dict:
        if self.worker is None:
            home = self.sandbox.home if self.sandbox else self.scratch
            self.worker = Worker(self.zygote, os.path.join(home, f"output-{self.spawned}.txt"),
                                 self.sandbox.as_message() if self.sandbox else None)
            self.spawned += 1
        worker = self.worker
        try:
            reply = worker.request(message, self.timeout)
            if isinstance(reply, dict):
                return reply
            raise wire.WireError("wire.malformed", detail="not a message")
        except channel.ChannelTimeout:
            self._drop_worker()
            raise self._broken(key, student_error(
                "timeout", text("error.timeout", seconds=f"{self.timeout:g}"), call=label)) from None
        except (channel.ChannelClosed, OSError):
            tail = worker.output_tail().strip()
            self._drop_worker()
            hint = text("error.crash_tail", output=tail[-300:]) if tail else ""
            raise self._broken(key, student_error(
                "crash", text("error.crash", tail=hint), call=label)) from None
        except wire.WireError as exc:
            self._drop_worker()
            raise self._broken(key, student_error(
                "bad_return", text("error.bad_return", detail=exc.student_text()),
                call=label)) from None

    def _broken(self, key, error: FatalStudentError) -> FatalStudentError:
        self.broken[key] = error
        return error

    def _drop_worker(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None

    def close(self) -> None:
        self._drop_worker()
        if self.sandbox:  # whatever the submission started, detached or not, goes too
            self.sandbox.release()

