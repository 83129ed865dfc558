"""The worker: the only process that imports and runs student code.

It answers requests from the grader one at a time over a socket. Each answer
is plain data (see ``wire``): the returned value, or what went wrong, plus the
facts the trusted harness observed around the call (inputs modified, autograd
or ``torch.optim`` used, the ``.grad`` of the leaves it handed over). The
grader never trusts the worker for the right answer; it only learns what the
student's code did.

The student's code shares this process, so what the grader reads must not be writable
from it: every reply is signed with a secret only ``serve``'s frame holds (a reply the
student's code writes to the socket itself is refused, see ``channel``), and backward
passes are counted by torch's own graph-task counter (``watch.EngineLedger``), which no
Python code can turn back, around the module's import, each call and the gaps between.
"""

from __future__ import annotations

import _hashlib
import _thread
import errno
import importlib.util
import os
import resource
import signal
import socket
import struct
import sys
import traceback
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterator, NoReturn

import torch

from . import channel, drawing, integrity, recipes, wire
from . import watch as watch_module
from .watch import AttributeReadWatch, AutogradWatch, EngineLedger, OptimizerWatch, warm_up

if TYPE_CHECKING:  # types only: the worker imports nothing more at run time
    from ..protocol import CallRequest, Drawing, ErrorReply, Facts, GradFacts, Reply, VjpFacts, VjpProbe

OUTPUT_CAP_BYTES = 1 << 20  # what one call may print before writes start failing

warm_up()  # imported by the zygote: the watches' modes cost nothing per worker


def serve(sock: socket.socket, output: int | str, key: bytes) -> NoReturn:
    """Answer requests until the grader closes the socket; never returns. ``output``:
    the descriptor (or a path) student prints go to. ``key``: this worker's secret, which
    signs every reply (see ``channel``); it lives in this frame only, and is used only
    through C functions called from here, so no frame student code could be handed holds it."""
    _redirect_output(output)
    watches: dict[str, Any] = {"autograd_used": AutogradWatch(), "optim_used": OptimizerWatch(),
               "is_leaf_read": AttributeReadWatch("is_leaf")}
    for watch in watches.values():
        watch.install()
    # Integrity (see ``integrity``): everything the loop uses is bound here, before any
    # student module exists, so patching this module or torch later changes nothing it
    # calls; what was patched is named in the reply and costs the function.
    ledger = EngineLedger()
    audit = integrity.AuditLog()
    audit.install()  # before the snapshot, which reads code only after the hook saw it set
    snapshot = integrity.Snapshot(audit)
    hooks = integrity.interpreter_hooks()
    watches["process_started"] = audit.process_watch()
    changed, restore, start, stop = snapshot.changed, snapshot.restore, audit.start, audit.stop
    engine_watch = watches["autograd_used"]
    recv, handle, error, truncate = channel.recv, _handle, _error, _truncate_output
    encode, digest, pack, sendall = wire.encode, _hashlib.hmac_digest, struct.pack, sock.sendall
    closed, exit_now, dirname = (channel.ChannelClosed, OSError, wire.WireError), os._exit, os.path.dirname
    wire_error, is_dict, is_int = wire.WireError, dict, int
    bound: dict[str, Callable[..., Any]] = {"load": _load, "call": _call}
    modules: dict[str, ModuleType] = {}
    while True:
        try:
            request = recv(sock)
        except closed:
            exit_now(0)
        seq = request.get("seq") if type(request) is is_dict else None
        seq = seq if type(seq) is is_int and 0 <= seq < 1 << 63 else 0
        truncate()
        reply: Any  # a Reply, unless student code broke the harness: checked as plain data below
        start(dirname(str(request.get("path", ""))) if type(request) is is_dict else "")
        try:
            reply = handle(request, modules, watches, bound, ledger, audit)
        except BaseException as exc:  # a harness bug must still produce an answer
            reply = error("harness", detail=repr(exc))
        events = stop()
        if type(reply) is not is_dict:
            reply = error("harness", detail="no reply")
        facts = reply.get("facts") if type(reply.get("facts")) is is_dict else {}
        reply["facts"] = facts
        facts["audit"] = events
        facts["tampered"] = changed() + ([] if engine_watch.intact else ["torch dispatch mode stack"])
        facts["tampered"] += hooks()
        engine_watch.intact = True
        if facts["tampered"]:
            restore()
        integrity_facts = {"audit": events, "tampered": facts["tampered"]}
        try:
            frame = encode(reply)
        except wire_error as exc:
            frame = encode({**error("bad_return", key=exc.key, **exc.params), "facts": integrity_facts})
        except OSError:
            exit_now(0)
        except Exception as exc:  # any value torch can hold but not copy: the answer's fault
            frame = encode({**error("bad_return", key="wire.unreadable",
                                    detail=f"{type(exc).__name__}: {str(exc)[:300]}"),
                            "facts": integrity_facts})
        hooked = hooks()  # encoding a value may run student code: nothing may watch the signing
        if hooked:
            frame = encode({**error("tampered"), "facts": {"audit": events, "tampered": hooked}})
        tag = digest(key, seq.to_bytes(8, "big") + frame, "sha256")
        try:
            sendall(pack(">Q", len(tag) + len(frame)) + tag + frame)
        except OSError:
            exit_now(0)


def _redirect_output(output: int | str) -> None:
    """Send the student's prints to a capped file, never into the protocol. The file is
    the grader's, handed over as a descriptor: nothing the grader reads is ever a path."""
    if isinstance(output, int):
        fd = output
    else:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    if fd > 2:
        os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    # The grader's sys.stdout may not be fd 1 (pytest's capture, for one): rebind both.
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)
    # Past the cap a write fails with an OSError inside the student's code
    # instead of killing the worker with SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_CAP_BYTES, OUTPUT_CAP_BYTES))


def _truncate_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os.ftruncate(1, 0)
    os.lseek(1, 0, os.SEEK_SET)


def _error(kind: str, key: str | None = None, **params: Any) -> ErrorReply:
    """What went wrong: a kind, and the catalog message (``key``, default
    ``error.<kind>``) with its parameters; the grader renders it in the run's language."""
    return {"ok": False, "error": {"kind": kind, "key": key or f"error.{kind}", "params": params}}


def _handle(request: dict[str, Any], modules: dict[str, ModuleType], watches: dict[str, Any],
            bound: dict[str, Callable[..., Any]], ledger: EngineLedger,
            audit: integrity.AuditLog) -> Reply:
    # ``request``: as decoded; a CallRequest once ``op`` says so (``_call`` reads it as one)
    op = request.get("op")
    if op == "ping":
        return {"ok": True}
    if op not in ("call", "load"):
        return _error("harness", detail=f"unknown request {op!r}")
    module: ModuleType | ErrorReply = bound["load"](request["path"], request["module"], modules,
                                                    watches, ledger, audit)
    if isinstance(module, dict):
        return module
    if op == "load":  # the import alone: the kernel's count of it is then no call's (engine_probe)
        return {"ok": True}
    fn = getattr(module, request["function"], None)
    if fn is None:
        return _error("missing_function", module=request["module"], function=request["function"])
    if not callable(fn):
        return _error("missing_function", "error.not_callable", module=request["module"],
                      function=request["function"])
    return bound["call"](fn, request, watches, ledger, audit)


def _load(path: str, name: str, modules: dict[str, ModuleType], watches: dict[str, Any],
          ledger: EngineLedger, audit: integrity.AuditLog) -> ModuleType | ErrorReply:
    """Import the student's module under the same watch as its calls: autograd run while
    it is imported (make_fx tracing a gradient to replay later, say) is the module's, and
    counts against every later call (``_engine_facts``)."""
    if path in modules:
        return modules[path]
    try:
        with open(path, "rb") as fh:
            source = fh.read()
        code = compile(source, path, "exec")
    except SyntaxError as exc:
        return _error("syntax_error", file=os.path.basename(path), line=exc.lineno, msg=exc.msg)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None  # a .py path (Submission.locate) always has a source loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    engine = watches["autograd_used"]
    before = ledger.mark()  # between calls: nothing of the harness's ran the engine
    engine.reset(folder)
    try:
        engine.run(exec, code, module.__dict__)
    except BaseException as exc:
        sys.modules.pop(name, None)
        return _error("import_error", file=os.path.basename(path), **_describe(exc, folder))
    finally:
        engine.intact = True  # a mode the module leaves pushed (set_default_device) is its own
        if before or ledger.mark() or engine.used:
            _outside(ledger, audit, "autograd ran before a call (at import, or between calls)")
    modules[path] = module
    return module


def _call(fn: Callable[..., Any], request: CallRequest, watches: dict[str, Any],
          ledger: EngineLedger, audit: integrity.AuditLog) -> Reply:
    try:
        args, nodes = _arguments(request)
    finally:  # since the last mark: the gap after the last call, and the recipe's own passes
        if ledger.mark(expected=_recipe_backwards(request)):
            _outside(ledger, audit, "autograd ran between calls")
    before = [a.detach().clone() if isinstance(a, torch.Tensor) else None for a in args]
    grads_before = {path: t.grad for path, t in _tensor_args(args)}  # held: identity survives
    folder = os.path.dirname(request["path"])
    for watch in watches.values():
        watch.reset(folder)
    runs = 0
    try:
        try:
            value = watches["autograd_used"].run(fn, *args)  # with the dispatch-level spy
        finally:
            runs = ledger.mark()
            if runs and _threads_ran(ledger):  # then a thread may have run them for another call
                _outside(ledger, audit, "autograd ran while a thread of the submission was running")
    except NotImplementedError as exc:
        return _error("not_implemented", detail=str(exc) or f"{fn.__name__} is not implemented yet")
    except SystemExit as exc:
        return _error("exit", code=repr(exc.code))
    except Exception as exc:
        if _out_of_resources(exc):  # ends the function like a crash: never shrunk, never retried
            return _error("crash", "error.resources", **_describe(exc, folder))
        if _output_flooded():
            return _flood_error()
        return _error("exception", **_describe(exc, folder))
    except BaseException as exc:
        return _error("base_exception", **_describe(exc, folder))
    if _output_flooded():
        return _flood_error()
    engine = watches["autograd_used"]
    if runs > engine.calls:
        _note(audit, "engine_unseen", f"{runs - engine.calls} autograd engine run(s) or forward-AD "
              "level(s) that no mode or wrapper saw (torch's own counters did)")
    facts: Facts = {
        "mutated": [i for i, (a, b) in enumerate(zip(args, before))
                    if b is not None and not _same_values(a, b)],
        # autograd_used, optim_used, is_leaf_read: the watches ``serve`` installs
        **{name: watch.used for name, watch in watches.items()},  # type: ignore[typeddict-item]
        # The engine's own counter: runs in this call, or anywhere outside a call before it.
        "autograd_used": engine.used or runs > 0 or ledger.outside > 0,
        "backward_calls": max(engine.calls, runs),
        "arg_grads": {path: _grad_facts(t, grads_before[path]) for path, t in _tensor_args(args)},
        # The grader compares these with the digests of what it sent (integrity.screen).
        "inputs_digest": _digests(args),
    }
    if request.get("vjp"):  # after the facts: the harness's own backward is not the student's
        facts["vjp"] = _vjp(value, args, request["vjp"], folder)
    if request.get("draw"):
        facts["drawing"] = _draw(value, args, nodes, request, watches["autograd_used"].roots)
    if request.get("vjp") or request.get("draw"):
        ledger.mark()  # the harness's own backward (and the function's backward inside it)
    return {"ok": True, "value": value, "facts": facts}


def _threads_ran(ledger: EngineLedger) -> bool:
    """Whether a thread other than the harness's has run in this worker: engine runs seen
    during a call then have no sure owner (torch's counter is one for the process)."""
    return (watch_module.threads_started() > 0
            or _thread._count() > ledger.inherited_threads)


def _recipe_backwards(request: CallRequest) -> int:
    """The backward passes building the recipe runs itself: one per leaf given a ``.grad``."""
    graph = request.get("graph")
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    return sum(1 for n in nodes or [] if isinstance(n, dict) and n.get("op") == "leaf" and n.get("grad"))


def _outside(ledger: EngineLedger, audit: integrity.AuditLog, detail: str) -> None:
    """Autograd no single call owns: it counts against every later call of the module."""
    ledger.outside += 1
    _note(audit, "engine_outside_call", detail)


def _note(audit: integrity.AuditLog, event: str, detail: str) -> None:
    """A flag for instructors, sent with the audit's events."""
    entry = {"event": event, "detail": detail}
    if entry not in audit.events and len(audit.events) < integrity.MAX_EVENTS:
        audit.events.append(entry)


def _draw(value: Any, args: list[Any], nodes: list[torch.Tensor], request: CallRequest,
          backward: drawing.BackwardRoots) -> Drawing:
    """The student's graph (see ``drawing.pick_roots``)."""
    names = {id(t): recipes.name(i) for i, t in enumerate(nodes)}
    for name, (path, t) in zip(request.get("names", []), _tensor_args(args)):
        names.setdefault(id(t), name)
    roots = drawing.pick_roots(backward.roots, value, [t for _, t in _tensor_args(args)])
    try:
        return drawing.drawing(roots, names)
    except Exception as exc:  # a picture is a courtesy: never fail the call for it
        return {"text": f"(no picture: {type(exc).__name__})", "dot": "", "nodes": 0}


def _arguments(request: CallRequest) -> tuple[list[Any], list[torch.Tensor]]:
    """The call's arguments: sent values, leaves made to require grad, graph nodes built here."""
    args = list(request.get("args", []))
    for i in request.get("leaves", []):
        args[i] = args[i].detach().clone().requires_grad_(True)
    for index, spec in request.get("functions", {}).items():
        args[int(index)] = recipes.function(spec)  # a callable built here from plain data
    nodes: list[torch.Tensor] = []
    if request.get("graph") is not None:
        nodes = recipes.build(request["graph"])
        for index, ref in request.get("bind", {}).items():
            args[int(index)] = recipes.pick(nodes, ref)
    return args, nodes


def _tensor_args(args: list[Any]) -> Iterator[tuple[str, torch.Tensor]]:
    """(path, tensor) for every tensor argument, and tensors in list arguments ("0.1")."""
    for i, a in enumerate(args):
        if isinstance(a, torch.Tensor):
            yield str(i), a
        elif isinstance(a, list):
            for j, t in enumerate(a):
                if isinstance(t, torch.Tensor):
                    yield f"{i}.{j}", t


def _grad_facts(t: torch.Tensor, grad_before: torch.Tensor | None) -> GradFacts:
    """The argument's ``.grad`` after the call, and whether it is the very tensor it was."""
    grad = t.grad if t.is_leaf else None  # reading a non-leaf's .grad only warns
    return {"grad": None if grad is None else grad.detach().clone(),
            "grad_requires_grad": bool(grad is not None and grad.requires_grad),
            "grad_has_grad_fn": bool(grad is not None and grad.grad_fn is not None),
            "same_object": grad is not None and grad is grad_before}


def _vjp(value: Any, args: list[Any], probe: VjpProbe, folder: str) -> VjpFacts:
    """Differentiate the returned tensor with respect to an argument, with the
    grader's upstream gradient: how gradient flows through the student's result."""
    wrt = args[probe["wrt"]]
    if type(value) is not torch.Tensor:
        return {"problem": "not_tensor"}
    if not value.requires_grad or value.grad_fn is None:
        return {"problem": "no_grad_fn"}
    cotangent = probe["cotangent"].to(value.device, value.dtype)
    if value.shape != cotangent.shape:
        return {"problem": "shape"}
    try:
        # (value * cotangent).sum() hands value's backward exactly the cotangent (1 * c == c),
        # as grad_outputs would; grad_outputs makes torch import sympy (0.5 s, 60 MB a worker).
        (grad,) = torch.autograd.grad((value * cotangent).sum(), wrt, allow_unused=True)
    except BaseException as exc:  # the student's own backward() may run here
        return {"problem": "raised", "message": _describe(exc, folder)["detail"]}
    return {"grad": None if grad is None else grad.detach().clone()}


def _out_of_resources(exc: BaseException) -> bool:
    """Memory, processes, open files: a limit of the sandbox, not a wrong answer."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOMEM, errno.EMFILE, errno.ENFILE,
                                                  errno.EAGAIN, errno.ENOSPC):
        return True
    message = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("can't allocate memory" in message
                                              or "out of memory" in message)


def _output_flooded() -> bool:
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    return os.fstat(1).st_size >= OUTPUT_CAP_BYTES


def _flood_error() -> ErrorReply:
    return _error("output_flood", mb=OUTPUT_CAP_BYTES // (1 << 20))


def _same_values(a: torch.Tensor, b: torch.Tensor) -> bool:
    a = a.detach()
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)


def _digests(args: list[Any]) -> list[str | None]:
    """Each tensor argument's dtype, shape and values after the call, hashed
    (``wire.digest``); None for the others. The grader checks them against what it sent."""
    return [wire.digest(a) if isinstance(a, torch.Tensor) else None for a in args]


def _describe(exc: BaseException, folder: str) -> dict[str, Any]:
    """The exception in one line, and where in the student's files it came from."""
    where = None
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(folder + os.sep):
            where = {"file": os.path.basename(frame.filename), "line": frame.lineno,
                     "code": frame.line.strip() if frame.line else ""}
            break
    text = str(exc)
    if len(text) > 500:
        text = text[:500] + "..."
    return {"detail": f"{type(exc).__name__}: {text}" if text else type(exc).__name__,
            "where": where}
