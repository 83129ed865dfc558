"""Integrity of the harness inside the worker, and of its reply in the grader.

Worker side (``Snapshot``, ``AuditLog``): taken once, before any student module is
imported. ``Snapshot`` records the identity of everything the harness and its watches
rely on (the attributes of ``torch.Tensor`` and ``torch._C.TensorBase``, the autograd
engine object, ``Optimizer``'s methods, the functions of torch's and the harness's own
modules, with their ``__code__`` and the cells of their closures); ``changed()`` after
each call names whatever student code replaced. ``AuditLog`` is a permanent audit hook
(``sys.addaudithook`` cannot be undone) that records reach-in events raised while the
student's code runs: frames, ``gc``, ``ctypes``, attributes set on types or on code,
tracing, imports of the grader. These are flags for instructors, not verdicts.

Grader side (``screen``): a reply that says the harness was changed fails the call
with the ``tampered`` kind (the function scores 0, see ``catalog.INTEGRITY``); the digests
of the inputs the worker sends back after the call (``wire.digest``: dtype, shape and
bytes) are compared with those of what the grader sent.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    from ..protocol import CallRequest

# Audit events that start a process; with those that reach into the interpreter or the
# grader, the reach-in events (by prefix).
_PROCESS_STARTS = ("os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
                   "subprocess.Popen")
_REACH_IN = ("sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
             "gc.get_referents", "ctypes.", "sys.settrace", "sys.setprofile",
             "object.__setattr__", "object.__delattr__", "code.__new__", "function.__new__",
             "cpython.PyInterpreterState", "sys.addaudithook",
             "_thread.start_new_thread") + _PROCESS_STARTS
# Events that start a process or reach native code (a fork done through ctypes): what runs
# there is beyond the watches, so a rule about how an answer is computed cannot be checked.
_UNWATCHABLE = _PROCESS_STARTS + ("ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function")
MAX_EVENTS = 200


def _modules() -> list[types.ModuleType]:
    import importlib
    wanted = ["torch", "torch.autograd", "torch.autograd.graph", "torch.autograd.forward_ad",
              "torch.autograd.variable", "torch.autograd.function", "torch.optim",
              "torch.optim.optimizer", "torch.nn.functional", "torch.func", "torch.overrides",
              "torch.utils._python_dispatch", "torch._functorch.predispatch", "json", "json.encoder", "struct", "socket",
              "selectors", "builtins", "os", "traceback", "importlib.util", "_thread",
              "threading"]
    found = [importlib.import_module(n) for n in wanted]
    names = [n for n in sys.modules if n.startswith(("gradkit.", "torch.optim."))
             and n not in wanted]
    return found + [sys.modules[n] for n in sorted(names) if sys.modules.get(n) is not None]


def _classes() -> list[type]:
    import torch
    import torch.autograd.variable
    from . import watch
    import socket
    found = [torch.Tensor, torch._C.TensorBase, torch.optim.Optimizer,
             # (ignore: mypy takes torch.autograd.variable for the function of that name)
             torch.autograd.variable.Variable, torch.autograd.Function, socket.socket]  # type: ignore[attr-defined]
    found += [v for v in vars(watch).values() if isinstance(v, type)
              and v.__module__ == watch.__name__]
    found += [v for v in globals().values() if isinstance(v, type) and v.__module__ == __name__]
    seen, todo = set(found), [torch.optim.Optimizer]
    while todo:  # every optimizer class: their ``step`` is hooked (watch.OptimizerWatch)
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                found.append(sub)
                todo.append(sub)
    return found


class Snapshot:
    """What the harness relies on, by identity, as it was before student code ran.

    ``changed()`` runs after every call, so it is one C-level pass per namespace (the
    values, compared with ``is``: no ``__eq__`` of a student's object runs, and no
    ``id()``, which is an audit event of its own). A function's ``__code__`` is read only
    once some ``__code__`` was set in this process: reading it is an audit event (the hook
    runs for each of ~900 reads), setting it is one too, always, and ``AuditLog`` counts
    those sets whatever else it does (``code_writes``). Once one is seen, every later
    sweep reads them all: a set seen while this sweep runs may land after its read."""

    def __init__(self, audit: AuditLog | None = None) -> None:
        import torch.autograd.variable
        classes = _classes()
        owners: list[tuple[str, Mapping[str, Any], type | None]]
        owners = [(m.__name__, vars(m), None) for m in _modules()]
        owners += [(f"{c.__module__}.{c.__qualname__}", c.__dict__, c) for c in classes]
        self.entries: list[tuple[Any, ...]] = []  # key, space, name, value, code, cells, owner
        for label, space, cls in owners:  # a type's __dict__ is a live view
            for name, value in list(space.items()):
                if cls is not None or (callable(value) and not isinstance(value, types.ModuleType)):
                    self._take(f"{label}.{name}", space, name, value, cls)
        # (ignore: mypy takes torch.autograd.variable for the function of that name)
        variable = torch.autograd.variable.Variable  # type: ignore[attr-defined]
        self._take("engine", variable.__dict__, "_execution_engine", variable._execution_engine,
                   variable)
        for name in ("fork", "_enter_dual_level"):  # counted by the watch's wrappers
            self._take(f"torch._C.{name}", vars(torch._C), name, getattr(torch._C, name))
        # The count of __code__ sets (``AuditLog.code_writes``), read through C functions
        # bound now; without an installed AuditLog, every sweep reads every __code__.
        written: Callable[[], int] | None = None
        if audit is not None:
            import functools
            import operator
            written = functools.partial(operator.getitem, audit.code_writes, 0)  # type: ignore[assignment]
        self._sweep = _sweeper(self.entries, written)

    def _take(self, key: str, space: Any, name: str, value: Any, owner: type | None = None) -> None:
        function = isinstance(value, types.FunctionType)
        code = value.__code__ if function else None
        cells = tuple(_cell(c) for c in value.__closure__) if function and value.__closure__ else ()
        self.entries.append((key, space, name, value, code, cells, owner))

    def restore(self) -> None:
        """Put back whatever student code replaced, so the reply and later calls run on
        the harness and the torch the snapshot saw."""
        missing = _MISSING
        for key, space, name, value, code, cells, owner in self.entries:
            try:
                if space.get(name, missing) is not value and not _torch_wraps(space.get(name), value):
                    if owner is None:
                        space[name] = value
                    elif value is missing:
                        delattr(owner, name)
                    else:
                        setattr(owner, name, value)
                if code is not None and value.__code__ is not code:
                    value.__code__ = code
                for cell, obj in zip(value.__closure__ or () if cells else (), cells):
                    if obj is not missing and _cell(cell) is not obj:
                        cell.cell_contents = obj
            except Exception:  # what cannot be put back stays named in ``changed``
                pass
        known: dict[type, set[str]] = {}
        for entry in self.entries:
            if entry[6] is not None:
                known.setdefault(entry[6], set()).add(entry[2])
        for owner, names in known.items():  # and take away what was added to a type
            for name in [n for n in list(vars(owner)) if n not in names]:
                try:
                    delattr(owner, name)
                except Exception:
                    pass

    def changed(self) -> list[str]:
        """The names of what is no longer as it was (an empty list when nothing is)."""
        return self._sweep()


def _sweeper(entries: list[tuple[Any, ...]],
             code_written: Callable[[], int] | None) -> Callable[[], list[str]]:
    """``changed``'s sweep over ``entries``, with everything it calls bound now (before
    student code): a patched ``builtins.all`` or ``operator.is_`` later changes nothing here.
    ``code_written``: how many ``__code__`` sets the audit hook saw (None: unknown)."""
    import operator
    from itertools import repeat
    is_, map_, all_, any_, zip_, len_, repeat_ = operator.is_, map, all, any, zip, len, repeat
    contents = operator.attrgetter("cell_contents")
    missing = _MISSING
    by_space: dict[int, list[tuple[Any, ...]]] = {}
    for entry in entries:
        by_space.setdefault(id(entry[1]), []).append(entry)
    # (space, names, values, its entries, its size or -1): one pass of C calls per
    # namespace. A type's every attribute is an entry, so one added (shadowing a method of
    # ``TensorBase`` on ``torch.Tensor``, say) changes its size; a module grows as torch
    # imports its submodules lazily, so only a module's snapshot names count there.
    spaces = [(group[0][1], tuple(e[2] for e in group), tuple(e[3] for e in group), group,
               len(group[0][1]) if group[0][6] is not None else -1)
              for group in by_space.values()]
    functions = [(e[3], e[4], e[0]) for e in entries if e[4] is not None]
    # A function's ``__closure__`` is read-only: its cells are the snapshot's for good, so
    # the contents of every cell filled then are compared in one pass (one emptied since
    # raises: then function by function); a function with an empty cell, one by one.
    closures = [(e[3], e[5], e[0]) for e in entries if e[5] and all(c is not missing for c in e[5])]
    partial = [(e[3], e[5], e[0]) for e in entries if e[5] and any(c is missing for c in e[5])]
    all_cells = tuple(c for value, _, _ in closures for c in value.__closure__)
    all_contents = tuple(o for _, cells, _ in closures for o in cells)

    def sweep() -> list[str]:
        out: list[str] = []
        for space, names, values, group, size in spaces:
            if not all_(map_(is_, map_(space.get, names, repeat_(missing)), values)) or (
                    size >= 0 and len_(space) != size):
                out += _changed_values(group)
        if code_written is None or code_written() > 0:
            out += [key + ".__code__" for value, code, key in functions if value.__code__ is not code]
        try:
            same = all_(map_(is_, map_(contents, all_cells), all_contents))
        except ValueError:  # a cell empty now (or at the snapshot: _MISSING never is a content)
            same = False
        out += [key + ".__closure__" for value, cells, key in (partial if same else closures + partial)
                if any_(_cell(c) is not o for c, o in zip_(value.__closure__, cells))]
        return out[:20]

    return sweep


def _changed_values(group: list[tuple[Any, ...]]) -> list[str]:
    """The keys of ``group`` (one namespace) whose value is another object now, except
    torch's own lazy wrapping (``_torch_wraps``), and, for a type, the names it gained."""
    missing = _MISSING
    out = [key for key, space, name, value, *_ in group
           if space.get(name, missing) is not value and not _torch_wraps(space.get(name), value)]
    key, space, name, _, _, _, owner = group[0]
    if owner is not None:
        known = {entry[2] for entry in group}
        label = key[:len(key) - len(name)]
        out += [label + str(n) for n in list(space) if n not in known]
    return out


_MISSING = object()
_TORCH_FOLDER = ""


def _torch_wraps(new: Any, old: Any) -> bool:
    """torch's own lazy wrapping: importing ``torch._dynamo`` (torch.func, torch.compile do)
    replaces ``torch.manual_seed`` with a ``_disable_dynamo`` wrapper of it, a function of
    torch's own files whose ``__wrapped__`` is the original."""
    global _TORCH_FOLDER
    if not _TORCH_FOLDER:
        import torch
        _TORCH_FOLDER = torch.__file__.rsplit("/", 1)[0] + "/"
    code = getattr(new, "__code__", None)
    return (getattr(new, "__wrapped__", None) is old and isinstance(code, types.CodeType)
            and code.co_filename.startswith(_TORCH_FOLDER))


def _cell(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return _MISSING


class AuditLog:
    """A permanent audit hook: the reach-in events raised while student code runs
    (``active``), with the student's file and line where one is on the stack."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.active = False
        self.folder = ""
        self.unwatchable = 0  # how many _UNWATCHABLE events student code has raised so far
        # How many ``__code__`` sets this process made since ``install``, active or not (a
        # thread or a finalizer can run between calls): ``Snapshot.changed`` reads code only
        # then. One list item, written by the hook through its own reference: no attribute
        # of this object (whose class a student could give a property) is on the way.
        self.code_writes = [0]

    def install(self) -> None:
        import sysconfig
        self.stdlib = sysconfig.get_paths()["stdlib"] + "/"
        log = self
        getframe = sys._getframe
        reach_in = _REACH_IN
        unwatchable = _UNWATCHABLE
        code_writes, len_ = self.code_writes, len  # bound: a patched builtins.len cannot hide a set

        def hook(event: str, args: tuple[Any, ...]) -> None:
            if event == "object.__setattr__" and len_(args) > 1 and args[1] == "__code__":
                code_writes[0] += 1  # whoever sets it, whenever (see Snapshot)
            if not log.active:
                return
            if event == "import":
                if not (args and isinstance(args[0], str) and args[0].startswith("gradkit")):
                    return
            elif event == "open":  # the process's own memory, read as a file
                path = args[0] if args and isinstance(args[0], str) else ""
                if not (path.startswith("/proc/") and path.endswith("/mem")):
                    return
            elif not event.startswith(reach_in):
                return
            log.active = False  # nothing below may re-enter the hook
            try:
                where = log._student_frame(getframe(1))
                if where is not None and event.startswith(unwatchable):
                    log.unwatchable += 1  # counted before the list's de-duplication and cap
                if where is not None:
                    detail = ""
                    if event in ("object.__setattr__", "object.__delattr__") and len(args) > 1:
                        detail = f"{getattr(args[0], '__qualname__', type(args[0]).__name__)}.{args[1]}"
                    elif event in ("import", "open"):
                        detail = str(args[0])
                    entry = {"event": event, "detail": detail[:200], **where}
                    if entry not in log.events and len(log.events) < MAX_EVENTS:
                        log.events.append(entry)
            finally:
                log.active = True

        sys.addaudithook(hook)

    def _student_frame(self, frame: types.FrameType | None) -> dict[str, Any] | None:
        """The student's file and line where the event came from: the first frame up the
        stack that is not the standard library's (``inspect``, ``importlib``...) must be
        the student's; an event torch raises for its own reasons is not one."""
        prefix, stdlib = self.folder + "/", self.stdlib
        depth = 0
        while frame is not None and depth < 60:
            name = frame.f_code.co_filename
            if self.folder and name.startswith(prefix):
                return {"file": name[len(prefix):], "line": frame.f_lineno}
            if not (name.startswith("<") or (name.startswith(stdlib) and "-packages" not in name)):
                return None
            frame = frame.f_back
            depth += 1
        return None

    def process_watch(self) -> ProcessWatch:
        return ProcessWatch(self)

    def start(self, folder: str) -> None:
        self.folder = folder
        self.active = True

    def stop(self) -> list[dict[str, Any]]:
        self.active = False
        return list(self.events)


class ProcessWatch:
    """Did the call start a process or reach native code through ctypes (seen by the
    AuditLog)? A watch like those of ``watch``: ``reset`` before a call, ``used`` after."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.mark = 0

    def install(self) -> None:
        pass  # the AuditLog's hook is installed once, by serve()

    def reset(self, folder: str = "") -> None:
        self.mark = self.log.unwatchable

    @property
    def used(self) -> bool:
        return self.log.unwatchable > self.mark


def interpreter_hooks() -> Callable[[], list[str]]:
    """A check, bound now (before student code), that no hook which sees the harness's
    frames is left set: a trace or profile function (a ``c_call`` event hands over the
    caller's frame, locals and all), a ``sys.monitoring`` tool (3.12+), torch's frame
    evaluation callback (torch.compile's entry, which receives every new frame). It
    removes what it finds and names it; the worker runs it after the student's call and
    again after encoding the reply (encoding may run student code), before it signs."""
    import torch
    gettrace, getprofile, settrace, setprofile = sys.gettrace, sys.getprofile, sys.settrace, sys.setprofile
    eval_frame = getattr(getattr(torch._C, "_dynamo", None), "eval_frame", None)
    get_callback = getattr(eval_frame, "get_eval_frame_callback", None)
    set_callback = getattr(eval_frame, "set_eval_frame", None)
    monitoring = getattr(sys, "monitoring", None)
    # What was set before student code (a coverage tool running the grader, say) is kept.
    trace, profile = gettrace(), getprofile()
    callback = get_callback() if get_callback is not None else None
    tools = [t for t in range(6) if monitoring is not None and monitoring.get_tool(t) is None]

    def check() -> list[str]:
        found = []
        if gettrace() is not trace:
            settrace(trace)
            found.append("sys.settrace")
        if getprofile() is not profile:
            setprofile(profile)
            found.append("sys.setprofile")
        if get_callback is not None and set_callback is not None and get_callback() is not callback:
            set_callback(callback)
            found.append("torch frame evaluation callback")
        if monitoring is not None:
            for tool in tools:
                if monitoring.get_tool(tool) is not None:
                    for event in range(18):  # every callback of the tool, then the tool
                        monitoring.register_callback(tool, 1 << event, None)
                    monitoring.set_events(tool, 0)
                    monitoring.free_tool_id(tool)
                    found.append(f"sys.monitoring tool {tool}")
        return found

    return check


# ---------------------------------------------------------------- grader side

def screen(message: CallRequest, reply: dict[str, Any], flags: list[dict[str, Any]]) -> dict[str, Any]:
    """Check a worker's reply against what the grader knows; turn a tampered harness
    into an error reply, and keep every flag in ``flags`` (the submission's)."""
    if not isinstance(reply, dict):
        return reply
    sent_facts = reply.get("facts")
    facts: dict[str, Any] = sent_facts if isinstance(sent_facts, dict) else {}
    label = f"{message.get('module')}.{message.get('function')}"
    for event in facts.get("audit") or []:
        if isinstance(event, dict):
            entry = {"function": label, **{k: v for k, v in event.items() if isinstance(k, str)}}
            if entry not in flags and len(flags) < 500:
                flags.append(entry)
    changed = list(facts.get("tampered") or [])
    if any(f.get("event") == "tampered" and f.get("function") == label for f in flags):
        # A function that once changed the harness is not trusted again in this run (the
        # worker put back what it changed, so later calls alone could look clean).
        changed.append("earlier in this function")
    elif not reply.get("ok") and not changed:
        return reply
    if not reply.get("ok"):
        pass
    elif "audit" not in facts or "tampered" not in facts or "inputs_digest" not in facts:
        changed.append("reply without the harness's facts")
    else:
        mutated = _mutated(message, facts.get("inputs_digest"))
        reported = [i for i in facts.get("mutated") or [] if isinstance(i, int)]
        if mutated is None:
            changed.append("inputs sent back do not match")
        else:
            if set(mutated) - set(reported):
                changed.append("inputs changed in place, reported untouched")
            facts["mutated"] = sorted(set(mutated) | set(reported))
    if changed:
        entry = {"function": label, "event": "tampered", "detail": "; ".join(
            str(c) for c in changed[:5])[:300]}
        if entry not in flags and len(flags) < 500:
            flags.append(entry)
        return {"ok": False, "error": {"kind": "tampered", "key": "error.tampered",
                                       "params": {}}}
    return reply


def _mutated(message: CallRequest, after: Any) -> list[int] | None:
    """Indices of the tensor arguments the grader sent whose values changed, from the
    digests the worker sent back (``wire.digest``); None when what came back does not fit
    what was sent."""
    import torch

    from . import wire
    args = message.get("args") or []
    bound = {int(k) for k in (message.get("bind") or {})}
    if not isinstance(after, list) or len(after) != len(args):
        return None
    out = []
    for i, (sent, back) in enumerate(zip(args, after)):
        if i in bound or not isinstance(sent, torch.Tensor):
            continue
        if type(back) is not str:
            return None
        if back != wire.digest(sent):
            out.append(i)
    return out
