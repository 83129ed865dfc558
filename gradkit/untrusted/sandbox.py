"""Grader-side handles on the processes that run student code.

``Zygote`` is forked from the grader right after torch is imported and before
anything touches CUDA, once per process (``zygote()``), and serves every grading
run of that process. Each run gets a *supervisor* forked from it, which sets up
the run's isolation (see ``isolation``: namespaces, a uid of its own, or none)
and forks the workers, one at a time. A fork of a warm process costs
milliseconds and shares torch's pages, where a fresh interpreter costs about a
second and 200 MB, and a child forked from a process that has initialised CUDA
could not use the GPU at all. Ending a run kills its supervisor's whole world.

The grader never opens a path the sandbox can write: the worker's output file is
created by the grader in its own folder and handed over as a descriptor, and its
last lines are read back through that descriptor.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
import secrets
import tempfile
import time
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from . import channel, engine_probe, integrity, isolation, wire
from .. import cores
from ..i18n import text
from ..verdicts import FatalStudentError, StudentError, student_error

if TYPE_CHECKING:
    from ..protocol import CallRequest, NodeRef, Request, VjpProbe

DEFAULT_TIMEOUT_S = 10.0
FUNCTION_BUDGET_S = 20.0  # call time one function may use in a run, all its checks together
# Call time a whole run may use: a full submission's checks take about 40 s on one CPU, so a
# run that hits this would not have fitted a 10-minute LMS limit at half a CPU anyway.
RUN_BUDGET_S = 240.0
MEMORY_MB = 3072  # all of a run's processes together, where a cgroup can say so
CONTROL_BYTES = 1 << 16


def _send(sock: socket.socket, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
    # the control messages between grader, zygote and supervisor: JSON, not the worker protocol
    data = json.dumps(message).encode() + b"\n"
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.sendall(data)


def _recv(sock: socket.socket, timeout: float | None = None) -> tuple[dict[str, Any], list[int]]:
    """One control message (a JSON line, sent whole) and the descriptors that came with it."""
    if timeout is not None:
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            raise channel.ChannelTimeout()
    data, fds, _, _ = socket.recv_fds(sock, CONTROL_BYTES, 4)
    if not data:
        for fd in fds:
            os.close(fd)
        raise channel.ChannelClosed()
    try:
        message = json.loads(data)
        if not isinstance(message, dict):
            raise ValueError
    except ValueError:
        for fd in fds:
            os.close(fd)
        raise channel.ChannelClosed() from None
    return message, fds


class Zygote:
    """A forked copy of the grader that forks one supervisor per grading run."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            ours.close()
            try:
                _zygote_main(theirs)
            finally:
                os._exit(0)
        theirs.close()
        self.sock, self.pid = ours, pid
        self.pid_owner = os.getpid()

    def alive(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG)[0] == 0
        except ChildProcessError:
            return False

    def open_run(self, config: dict[str, Any]) -> tuple[socket.socket, socket.socket, int]:
        """A new supervisor: (its control socket, a socket that closes when all of the run
        is gone, its pid)."""
        _send(self.sock, config)
        message, fds = _recv(self.sock, 60)
        if len(fds) != 2:
            raise RuntimeError("the worker factory stopped")
        return socket.socket(fileno=fds[0]), socket.socket(fileno=fds[1]), message["pid"]

    def close(self) -> None:
        self.sock.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


_ZYGOTE: Zygote | None = None


def zygote() -> Zygote:
    """This process's zygote, made on first use and reused by every grading after it."""
    global _ZYGOTE
    if _ZYGOTE is None or _ZYGOTE.pid_owner != os.getpid() or not _ZYGOTE.alive():
        _ZYGOTE = Zygote()
    return _ZYGOTE


def _zygote_main(sock: socket.socket) -> None:  # pragma: no cover - child process
    from . import privileges, worker  # noqa: F401 - loaded once, before any sandbox hides them
    try:  # whatever the worker's first snapshot imports, imported once here (seconds)
        integrity.Snapshot()
    except Exception:  # pragma: no cover - a worker takes its own snapshot anyway
        pass
    isolation.wipe_environment_block()
    isolation.set_environment(isolation.allowed_environment("/"))
    isolation.close_other_fds([sock.fileno()])
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.close(devnull)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped automatically
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the grader's to handle
    while True:
        try:
            config, _ = _recv(sock)
        except (channel.ChannelClosed, OSError):
            return
        run_ours, run_theirs = socket.socketpair()
        life_ours, life_theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                run_ours.close()
                life_ours.close()
                _supervisor_main(run_theirs, life_theirs, config)
            finally:
                os._exit(0)
        run_theirs.close()
        life_theirs.close()
        _send(sock, {"pid": pid}, [run_ours.fileno(), life_ours.fileno()])
        run_ours.close()
        life_ours.close()


def _supervisor_main(run: socket.socket, lifeline: socket.socket, config: dict[str, Any]) -> None:
    """One grading run's world (pragma: child process)."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    cores.follow(config.get("cpus"))
    for cgroup in (config.get("cgroup"), config.get("engine_cgroup")):  # memory; engine_probe's
        if cgroup:
            try:
                with open(os.path.join(cgroup, "cgroup.procs"), "w") as fh:
                    fh.write("0")
            except OSError:
                pass
    level = config["level"]
    if level == "none":
        isolation.prctl(isolation.PR_SET_CHILD_SUBREAPER, 1)
    if level != "namespaces":
        _send(run, {"ready": True, "pid": os.getpid(), "submission": config.get("submission")})
        _serve_run(run, config)
        return
    try:
        user_ns = isolation.enter_namespaces()
    except OSError as exc:
        _send(run, {"error": f"namespaces: {exc}"})
        return
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pid 1 of the run
        lifeline.close()
        os.close(go_w)
        os.read(go_r, 1)
        os.close(go_r)
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_IGN)
            inside = isolation.build_root(config["new_root"], config.get("submission"),
                                          config["readonly"], config["uid"], config["gid"],
                                          config.get("cuda", False))
            isolation.drop_to(config["uid"], config["gid"], user_ns)
        except BaseException as exc:
            _send(run, {"error": f"{type(exc).__name__}: {exc}"})
            return
        _send(run, {"ready": True, "submission": inside, "home": isolation.SANDBOX_HOME})
        config["home"] = isolation.SANDBOX_HOME
        _serve_run(run, config)
        return
    os.close(go_r)
    _send(run, {"pid": pid})
    os.write(go_w, b"1")
    os.close(go_w)
    run.close()
    _watch_init(pid, lifeline)


def _watch_init(pid: int, lifeline: socket.socket) -> None:
    """Until the run's init exits, or the grader says "end" (or goes away) on the
    lifeline: then kill init, which takes every process of the run with it. The lifeline
    closes as this process exits, once the init is reaped: the whole run is gone."""
    watched: list[socket.socket | int]
    try:
        watched = [lifeline, os.pidfd_open(pid)]
    except (AttributeError, OSError):  # before Linux 5.3: poll
        watched = [lifeline]
    while True:
        ready, _, _ = select.select(watched, [], [], None if len(watched) > 1 else 0.2)
        if lifeline in ready:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            done, _ = os.waitpid(pid, 0 if lifeline in ready or len(ready) else os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return


def _serve_run(run: socket.socket, config: dict[str, Any]) -> None:
    """The run's worker factory: spawn, kill, end (pragma: child process)."""
    level = config["level"]
    while True:
        try:
            request, fds = _recv(run)
        except (channel.ChannelClosed, OSError):
            break
        op = request.get("op")
        if op == "spawn" and len(fds) == 1:
            ours, theirs = socket.socketpair()
            key = bytes.fromhex(str(request.pop("key", "")))  # the worker's signing secret
            pid = os.fork()
            if pid == 0:
                try:
                    ours.close()
                    run.close()
                    _worker_main(theirs, fds[0], config, key)
                finally:
                    os._exit(0)
            theirs.close()
            os.close(fds[0])
            _send(run, {"pid": pid}, [ours.fileno()])
            ours.close()
            if level == "none":
                _reap()
        elif op == "kill":
            for target in (-int(request["pid"]), int(request["pid"])):
                try:
                    os.kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            _send(run, {"ok": True})
        elif op == "end":
            break
        else:
            for fd in fds:
                os.close(fd)
            _send(run, {"error": "unknown request"})
    if level == "none":
        isolation.kill_descendants()
    try:
        _send(run, {"ended": True})
    except OSError:
        pass


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _worker_main(sock: socket.socket, output: int, config: dict[str, Any],
                 key: bytes) -> None:  # pragma: no cover
    try:
        _worker_setup(sock, output, config, key)
    except BaseException as exc:  # say why in the output the grader shows with the crash
        os.write(output, f"sandbox: {type(exc).__name__}: {exc}\n".encode())
        raise


def _worker_setup(sock: socket.socket, output: int, config: dict[str, Any],
                  key: bytes) -> None:  # pragma: no cover
    os.setsid()  # its own process group, so a kill takes its children too
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    isolation.close_other_fds([sock.fileno(), output])
    from . import privileges
    from .worker import serve
    cuda = bool(config.get("cuda"))
    privileges.limit(cuda)
    if config["level"] == "uid":
        privileges.become(config["uid"], config["gid"])
    if config["level"] != "none":  # a change of uid made /proc/self root's: make it its own
        isolation.prctl(isolation.PR_SET_DUMPABLE, 1)
    home = config.get("home") or "/"
    os.chdir(home)
    isolation.set_environment(isolation.allowed_environment(home))
    serve(sock, output, key)  # never returns


class Run:
    """One grading run's isolated world: a supervisor and what it forks.

    ``folder``: the submission (the grader's own path). ``scratch``: a folder of the
    grader's that the sandbox cannot write (its outputs go there, as descriptors).
    """

    def __init__(self, folder: str | None, scratch: str, level: str | None = None,
                 memory_mb: int | None = MEMORY_MB, factory: Zygote | None = None) -> None:
        from . import privileges
        import torch
        self.level = level or isolation.level()
        self.folder = os.path.abspath(folder) if folder else None
        self.scratch = scratch
        self.uid = self.gid = os.getuid()
        self.lock = -1
        self.memory: isolation.MemoryCap | None = None
        self.memory_cap_mb: int | None = None
        self.home: str | None = None
        self.ended = False
        self.engine: engine_probe.RunProbe | None = None  # the kernel's count of engine runs
        self.rules = engine_probe.RULES_IN_PROCESS  # who observes the rules (engine_probe)
        cuda = torch.cuda.is_available()
        # the grader's cores (one, where it claimed one: gradkit/cores.py): the run's processes
        # follow, so that each hand-over between grader and worker stays on one core
        config: dict[str, Any] = {"op": "run", "level": self.level, "cuda": cuda,
                                  "cpus": cores.allowed()}
        try:
            if os.geteuid() == 0 and self.level in ("namespaces", "uid"):
                self.uid, self.lock = privileges.reserve_uid()
                self.gid = self.uid
            config.update(uid=self.uid, gid=self.gid)
            if self.level == "namespaces":
                new_root = tempfile.mkdtemp(prefix="root-", dir=scratch)
                config.update(new_root=new_root, submission=self.folder,
                              readonly=isolation.readonly_paths([_engine_folder()]))
            elif self.level == "uid":
                self.home = privileges.private_home(scratch, self.uid)
                blocked = privileges.unreadable_for(self.uid, [self.home])
                if blocked:
                    raise isolation.IsolationError(
                        f"uid mode: the sandbox user (uid {self.uid}) cannot enter {blocked}, so "
                        "student code could not import Python's modules or reach its own "
                        "folder. Namespaces need no such access (they are refused here); else "
                        "install Python, and TMPDIR, where other users may pass. "
                        f"Python: {sys.executable}")
                config.update(home=self.home, submission=privileges.copy_for(
                    self.folder, self.home, self.uid) if self.folder else None)
            else:
                self.home = tempfile.mkdtemp(prefix="home-", dir=scratch)
                config.update(home=self.home, submission=self.folder)
            if memory_mb:
                self.memory = isolation.MemoryCap(f"gradkit-{os.getpid()}-{id(self)}", memory_mb)
                config["cgroup"] = self.memory.path
                self.memory_cap_mb = memory_mb if self.memory.path else None
            self.engine = engine_probe.start(  # counting before the run's first process exists
                f"gradkit-engine-{os.getpid()}-{id(self)}",
                self.memory.path if self.memory and self.memory.kind == "v2" else None)
            if self.engine is not None:
                config["engine_cgroup"] = self.engine.cgroup
            self.control, self.lifeline, self.pid = (factory or zygote()).open_run(config)
            first, _ = _recv(self.control, 60)
            if self.level == "namespaces":
                self.pid = first.get("pid", self.pid)
                first, _ = _recv(self.control, 60)
            if not first.get("ready"):
                raise isolation.IsolationError(str(first.get("error", "the sandbox did not start")))
            if self.engine is not None and self.engine.holds(self.pid):  # else nothing is counted
                self.rules = engine_probe.RULES_KERNEL
            elif self.engine is not None:
                self.engine.close()
                self.engine = None
            self.inside = first.get("submission")
        except BaseException:
            self.close()
            raise
        self.cuda = cuda

    def limits(self) -> dict[str, Any]:
        from . import privileges
        return {"processes": privileges.MAX_PROCESSES, "open_files": privileges.MAX_OPEN_FILES,
                "memory_mb_per_process": None if self.cuda else privileges.MAX_MEMORY_MB,
                "memory_mb_all_processes": self.memory_cap_mb,
                "tmp_mb": isolation.TMP_MB if self.level == "namespaces" else None}

    def path_inside(self, grader_path: str) -> str:
        """Where the sandbox sees a file of the submission."""
        if not self.inside or not self.folder:
            return grader_path
        return os.path.join(self.inside, os.path.relpath(grader_path, self.folder))

    def spawn(self, output_fd: int, key: bytes) -> tuple[socket.socket, int]:
        """A new worker, which signs its replies with ``key`` (see ``channel``)."""
        _send(self.control, {"op": "spawn", "key": key.hex()}, [output_fd])
        message, fds = _recv(self.control, 30)
        if len(fds) != 1:
            raise channel.ChannelClosed()
        return socket.socket(fileno=fds[0]), int(message["pid"])

    def kill_worker(self, pid: int) -> None:
        try:
            _send(self.control, {"op": "kill", "pid": pid})
            _recv(self.control, 10)
        except (OSError, channel.ChannelClosed, channel.ChannelTimeout, KeyError, ValueError):
            self.close()  # a supervisor that does not answer: the whole run goes

    def close(self) -> None:
        """End the run: every process of it is gone when this returns; then its files."""
        if self.ended:
            return
        self.ended = True
        from . import privileges
        control = getattr(self, "control", None)
        if control is not None:
            if self.level == "none":
                try:  # the supervisor kills every descendant, then answers
                    _send(control, {"op": "end"})
                    _recv(control, 30)
                except (OSError, channel.ChannelClosed, channel.ChannelTimeout):
                    pass
            control.close()  # uid, none: the supervisor stops serving and exits
            try:
                if self.level == "namespaces":
                    self.lifeline.sendall(b"end")  # the supervisor kills the run's init
                self.lifeline.settimeout(30)
                gone = self.lifeline.recv(1) == b""  # the supervisor, and its world, are gone
            except OSError:
                gone = False
            if not gone:  # still there (so its pid is still its own): no more asking
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.lifeline.close()
        if self.level == "uid" and self.lock >= 0:
            privileges.kill_everything_of(self.uid)
            isolation.purge_files_of(self.uid)
        if self.memory is not None:
            self.memory.remove()
        if self.engine is not None:
            self.engine.close()
            self.engine = None
        if self.lock >= 0:
            os.close(self.lock)
            self.lock = -1


def _engine_folder() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Worker:
    """One running worker process and the socket to it.

    Its replies must carry the tag of a secret made here for it (``channel``), for the
    request just sent: a reply written by student code (which shares the worker's process
    and can find its socket) raises ``channel.ChannelForged``, and so do bytes that arrive
    when no reply is due. ``module``: the one module this worker may import."""

    def __init__(self, run: Run, output_dir: str, module: str | None = None) -> None:
        self.run = run
        self.module = module
        fd, path = tempfile.mkstemp(prefix="output-", suffix=".txt", dir=output_dir)
        os.unlink(path)  # nobody reaches it by name; the grader keeps its descriptor
        self.output = fd
        self.key = secrets.token_bytes(32)
        self.seq = secrets.randbelow(1 << 62)  # unguessable: nothing is signed ahead of time
        self.sock, self.pid = run.spawn(fd, self.key)
        # The kernel's count of its engine runs, attached before any student code exists
        # (None where the kernel will not count: then the worker's own count is all there is).
        self.engine = engine_probe.EngineWitness(run.engine.counter, run.engine.charged) if run.engine else None

    def request(self, message: Request, timeout: float) -> dict[str, Any]:
        # the answer is the worker's: a protocol.Reply in shape only if the worker is honest
        if self.engine is not None and not self.engine.ready:
            self._round_trip({"op": "ping"}, timeout)  # the worker's start-up is then done: its runs are not counted
        if self.engine is not None and not self.engine.loaded and message["op"] == "call":
            self.engine.loaded = True  # the import on its own: what it runs is no call's
            loaded = self._round_trip({"op": "load", "path": message["path"],
                                       "module": message["module"]}, timeout)
            if not loaded.get("ok"):
                return loaded  # the import's error is the call's answer, as without the kernel
            return engine_probe.with_import_facts(self._round_trip(message, timeout), loaded)
        return self._round_trip(message, timeout)

    def _round_trip(self, message: Request, timeout: float) -> dict[str, Any]:
        if channel.pending(self.sock):  # written between calls: not by the harness
            raise channel.ChannelForged()
        if self.engine is not None:
            self.engine.before()
        self.seq += 1
        channel.send(self.sock, {**message, "seq": self.seq})
        reply = channel.recv(self.sock, timeout, key=self.key, seq=self.seq)
        if self.engine is not None:
            self.engine.after(message)
        if channel.pending(self.sock):  # a second frame after the reply
            raise channel.ChannelForged()
        return reply

    def kill(self) -> None:
        self.run.kill_worker(self.pid)
        self.sock.close()
        if self.output >= 0:
            os.close(self.output)
            self.output = -1

    def output_tail(self, limit: int = 800) -> str:
        """The last of what it printed, read through the grader's own descriptor."""
        try:
            size = os.fstat(self.output).st_size
            return os.pread(self.output, limit, max(0, size - limit)).decode("utf-8", "replace")
        except OSError:
            return ""


class Reply:
    """What a successful call returned: the value and the harness's facts."""

    def __init__(self, value: Any, facts: dict[str, Any]) -> None:
        # ``facts``: a protocol.Facts as the worker sent it, read with checks (untrusted)
        self.value = value
        self.facts = facts

    @property
    def mutated(self) -> list[int]:
        return self.facts.get("mutated", [])


def render_error(err: dict[str, Any]) -> str:
    """The worker's report of what went wrong, in the run's language. The worker is
    where student code runs, so anything unexpected here is shown plainly, not trusted."""
    sent_params = err.get("params")
    params: dict[str, Any] = sent_params if isinstance(sent_params, dict) else {}
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
    costs its own checks and a hang costs its time limit once per run. Call
    time is budgeted per function and per run: past a budget, the remaining
    checks fail at once, and the run still ends with a result.
    """

    def __init__(self, folder: str, factory: Zygote | None, scratch: str,
                 timeout: float = DEFAULT_TIMEOUT_S, *, run: Run | None = None,
                 function_budget: float = FUNCTION_BUDGET_S, run_budget: float = RUN_BUDGET_S) -> None:
        """``run``: the isolated world to run in (default: a new one for this folder, of
        the best level available, made from ``factory``; closed with this submission)."""
        self.folder = os.path.abspath(folder)
        self.scratch = scratch
        self.own_run = run is None
        self.run = run or Run(self.folder, scratch, factory=factory)
        self.timeout = timeout
        self.function_budget = function_budget
        self.run_budget = run_budget
        self.spent: dict[tuple[str, str], float] = {}
        self.total = 0.0
        self.worker: Worker | None = None
        self.broken: dict[tuple[str, str], StudentError | FatalStudentError] = {}  # fatal kinds only
        self.spawned = 0
        self.flags: list[dict[str, Any]] = []  # for instructors (integrity.screen): never a verdict

    def locate(self, module: str) -> str | None:
        """The module's file: at the top of the folder, else the shallowest match (in the
        grader's own copy: never in one the sandbox can write)."""
        top = os.path.join(self.folder, module + ".py")
        if os.path.isfile(top):
            return top
        matches = []
        for root, dirs, files in os.walk(self.folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
            if module + ".py" in files:
                matches.append(os.path.join(root, module + ".py"))
        return min(matches, key=lambda p: (p.count(os.sep), p)) if matches else None

    def call(self, module: str, function: str, args: Sequence[Any], *, leaves: Sequence[int] = (),
             graph: dict[str, Any] | None = None, bind: Mapping[int, NodeRef] | None = None,
             vjp: VjpProbe | None = None, draw: list[str] | None = None,
             label: str | None = None, functions: Mapping[int, dict[str, Any]] | None = None) -> Reply:
        """Call ``module.function(*args)`` in the worker.

        ``leaves``: argument indices the worker turns into fresh leaves requiring
        grad. ``graph``/``bind``: a recipe (see ``recipes``) the worker builds, and
        which of its nodes become which arguments (``{index: node or [nodes]}``).
        ``vjp``: ``{"wrt": index, "cotangent": tensor}``, to differentiate the
        returned tensor with that upstream gradient. ``draw``: the parameters' names,
        to have the worker draw the student's graph (``facts["drawing"]``).
        ``functions``: ``{index: spec}``, arguments that are callables, which cannot
        cross the boundary: the worker builds each from its plain spec
        (``recipes.function``); ``args[index]`` is ignored.
        """
        label = label or f"{function}(...)"
        key = (module, function)
        if key in self.broken:
            raise self.broken[key]
        if self.total >= self.run_budget:
            raise student_error("timeout", text("error.budget_run", seconds=f"{self.run_budget:g}"),
                                call=label)
        path = self.locate(module)
        if path is None:
            raise self._broken(key, student_error(
                "missing_module", text("error.missing_module", module=module), call=label))
        message: CallRequest = {"op": "call", "path": self.run.path_inside(path), "module": module,
                   "function": function, "args": list(args), "leaves": list(leaves)}
        if graph is not None:
            message.update({"graph": graph, "bind": {str(k): v for k, v in (bind or {}).items()}})
        if vjp is not None:
            message["vjp"] = vjp
        if functions:
            message["functions"] = {str(k): v for k, v in functions.items()}
        if draw is not None:
            message.update({"draw": True, "names": list(draw)})
        with wire.reading_once():  # the request's encoding and screen's digests: one read
            reply = integrity.screen(message, self._exchange(message, key, label), self.flags)
        if not reply.get("ok"):
            sent_error = reply.get("error")
            err: dict[str, Any] = sent_error if isinstance(sent_error, dict) else {}
            error = student_error(str(err.get("kind", "exception")), render_error(err), call=label)
            raise self._broken(key, error) if isinstance(error, FatalStudentError) else error
        facts = reply.get("facts")
        facts = facts if isinstance(facts, dict) else {}
        if self.worker is not None and self.worker.engine is not None:
            self.worker.engine.judge(facts, self.flags, f"{module}.{function}")  # the kernel's word wins
        return Reply(reply.get("value"), facts)

    def _exchange(self, message: CallRequest, key: tuple[str, str], label: str) -> dict[str, Any]:
        if self.worker is not None and self.worker.module != key[0]:
            # One module per worker: nothing one module's code computed (with autograd,
            # say) is in memory where another module's functions could take it.
            self._drop_worker()
        if self.worker is None:
            self.worker = Worker(self.run, self.scratch, key[0])
            self.spawned += 1
        worker = self.worker
        left_function = self.function_budget - self.spent.get(key, 0.0)
        left_run = self.run_budget - self.total
        timeout = max(0.01, min(self.timeout, left_function, left_run))
        started = time.monotonic()
        try:
            reply = worker.request(message, timeout)
            if isinstance(reply, dict):
                return reply
            raise wire.WireError("wire.malformed", detail="not a message")
        except channel.ChannelForged:
            # Student code wrote to the grader's channel: the worker is theirs now. The
            # call fails as a changed grader (integrity.screen flags it), and a fresh worker
            # serves the next one.
            self._drop_worker()
            return {"ok": False, "error": {"kind": "tampered", "key": "error.tampered", "params": {}},
                    "facts": {"audit": [], "tampered": [
                        "a reply the harness did not sign (the worker's channel was written to)"]}}
        except channel.ChannelTimeout:
            self._drop_worker()
            if timeout < self.timeout and left_run <= left_function:
                reason = text("error.budget_run", seconds=f"{self.run_budget:g}")
            elif timeout < self.timeout:
                reason = text("error.budget_function", seconds=f"{self.function_budget:g}")
            else:
                reason = text("error.timeout", seconds=f"{self.timeout:g}")
            raise self._broken(key, student_error("timeout", reason, call=label)) from None
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
        finally:
            spent = time.monotonic() - started
            self.spent[key] = self.spent.get(key, 0.0) + spent
            self.total += spent
            if self.spent[key] >= self.function_budget and key not in self.broken:
                self.broken[key] = student_error(
                    "timeout", text("error.budget_function", seconds=f"{self.function_budget:g}"),
                    call=label)

    def _broken(self, key: tuple[str, str],
                error: StudentError | FatalStudentError) -> StudentError | FatalStudentError:
        self.broken[key] = error
        return error

    def _drop_worker(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None

    def close(self) -> None:
        """Stop every process the submission started (detached or not) and, for a run
        it made itself, remove what it left."""
        self._drop_worker()
        if self.own_run:
            self.run.close()
