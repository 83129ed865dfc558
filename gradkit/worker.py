"""The worker: the only process that imports and runs student code.

It answers requests from the grader one at a time over a socket. Each answer
is plain data (see ``wire``): the returned value, or what went wrong, plus the
facts the trusted harness observed around the call (inputs modified, autograd
or ``torch.optim`` used, the ``.grad`` of the leaves it handed over). The
grader never trusts the worker for the right answer; it only learns what the
student's code did.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import signal
import sys
import traceback

import torch

from . import channel, wire
from .watch import AutogradWatch, OptimizerWatch

OUTPUT_CAP_BYTES = 1 << 20  # what one call may print before writes start failing


def serve(sock, output_path: str) -> None:
    """Answer requests until the grader closes the socket; never returns."""
    _redirect_output(output_path)
    watches = {"autograd_used": AutogradWatch(), "optim_used": OptimizerWatch()}
    for watch in watches.values():
        watch.install()
    modules: dict[str, object] = {}
    while True:
        try:
            request = channel.recv(sock)
        except (channel.ChannelClosed, OSError, wire.WireError):
            os._exit(0)
        _truncate_output()
        try:
            reply = _handle(request, modules, watches)
        except BaseException as exc:  # a harness bug must still produce an answer
            reply = _error("harness", f"the grader's harness failed: {exc!r}")
        try:
            channel.send(sock, reply)
        except wire.WireError as exc:
            channel.send(sock, _error("bad_return", str(exc)))
        except OSError:
            os._exit(0)


def _redirect_output(path: str) -> None:
    """Send the student's prints to a capped file, never into the protocol."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
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


def _error(kind: str, message: str, **extra) -> dict:
    return {"ok": False, "error": {"kind": kind, "message": message, **extra}}


def _handle(request: dict, modules: dict, watches: dict) -> dict:
    op = request.get("op")
    if op == "ping":
        return {"ok": True}
    if op != "call":
        return _error("harness", f"unknown request {op!r}")
    module = _load(request["path"], request["module"], modules)
    if isinstance(module, dict):
        return module
    fn = getattr(module, request["function"], None)
    if fn is None:
        return _error("missing_function",
                      f"{request['module']}.py has no function named {request['function']}")
    if not callable(fn):
        return _error("missing_function",
                      f"{request['module']}.{request['function']} is not a function")
    return _call(fn, request, watches)


def _load(path: str, name: str, modules: dict):
    if path in modules:
        return modules[path]
    try:
        with open(path, "rb") as fh:
            source = fh.read()
        code = compile(source, path, "exec")
    except SyntaxError as exc:
        return _error("syntax_error",
                      f"{os.path.basename(path)} has a syntax error on line {exc.lineno}: {exc.msg}",
                      line=exc.lineno)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException as exc:
        sys.modules.pop(name, None)
        return _error("import_error", f"importing {os.path.basename(path)} failed: "
                      f"{_describe(exc, folder)}")
    modules[path] = module
    return module


def _call(fn, request: dict, watches: dict) -> dict:
    args = list(request.get("args", []))
    leaves = set(request.get("leaves", []))
    for i in leaves:
        args[i] = args[i].detach().clone().requires_grad_(True)
    before = [a.detach().clone() if isinstance(a, torch.Tensor) else None for a in args]
    for watch in watches.values():
        watch.reset()
    folder = os.path.dirname(request["path"])
    try:
        value = fn(*args)
    except NotImplementedError as exc:
        return _error("not_implemented", str(exc) or "not implemented yet")
    except SystemExit as exc:
        return _error("exit", f"called sys.exit({exc.code!r}) instead of returning")
    except Exception as exc:
        if _output_flooded():
            return _flood_error()
        return _error("exception", _describe(exc, folder), type=type(exc).__name__)
    except BaseException as exc:
        return _error("base_exception", _describe(exc, folder), type=type(exc).__name__)
    if _output_flooded():
        return _flood_error()
    facts = {
        "mutated": [i for i, (a, b) in enumerate(zip(args, before))
                    if b is not None and not _same_values(a, b)],
        **{name: watch.used for name, watch in watches.items()},
        "leaf_grads": {str(i): _grad_of(args[i]) for i in sorted(leaves)},
    }
    return {"ok": True, "value": value, "facts": facts}


def _output_flooded() -> bool:
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    return os.fstat(1).st_size >= OUTPUT_CAP_BYTES


def _flood_error() -> dict:
    return _error("output_flood", f"printed more than {OUTPUT_CAP_BYTES // (1 << 20)} MB of "
                  "output in one call; remove the print statements inside loops")


def _grad_of(t):
    return None if t.grad is None else t.grad.detach().clone()


def _same_values(a, b) -> bool:
    a = a.detach()
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)


def _describe(exc: BaseException, folder: str) -> str:
    """One line: the exception and where in the student's files it came from."""
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(folder + os.sep):
            where = f" (in {os.path.basename(frame.filename)}, line {frame.lineno}" + (
                f": {frame.line.strip()}" if frame.line else "") + ")"
            break
    text = str(exc)
    if len(text) > 500:
        text = text[:500] + "..."
    return f"{type(exc).__name__}: {text}{where}" if text else f"{type(exc).__name__}{where}"
