"""Autograd engine runs of a run's processes, counted by the kernel for the grader.

The worker counts its own engine runs (``watch.EngineLedger``), but it shares its process
with the student's code, which can read the reply key out of memory and sign a reply
saying "no autograd". Here the grader itself, which never runs student code, puts the
run in a cgroup of its own and asks the kernel for uprobes on torch's engine entry points
for that cgroup (``perf_event_open`` with the ``uprobe`` PMU and ``PERF_FLAG_PID_CGROUP``,
one counter per CPU): every process of the run, and every thread or process it starts,
is counted, before the student's module is imported. The grader reads the counters
around each request (a few ``read()`` calls). Nothing in the run can reset them, and no
reply changes what they say.

Where the kernel refuses (an ordinary user with ``perf_event_paranoid`` ≥ 2 and no
``CAP_PERFMON``, a seccomp filter such as Docker's default, no writable cgroup2, not
Linux), ``start`` returns None and the rules rest on the worker's own observation, which
the results say (``RULES_KERNEL`` / ``RULES_IN_PROCESS``).

What the harness itself runs per request is fixed by the request (``harness_runs``): the
count above it is the student's, whatever the reply says.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import struct
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # ctypes itself is imported where a probe is opened: the grader's side only
    import ctypes

RULES_KERNEL = "kernel"
RULES_IN_PROCESS = "in-process (flagged)"

# Every backward pass enters Engine::execute (the Python engine's and C++'s backward and
# autograd.grad, compiled autograd) and Engine::execute_with_graph_task (which execute
# calls, and the distributed engine calls directly): each is compared with the harness's
# own runs on its own. Forward-mode AD needs a dual level (enter_dual_level) and attaches
# tangents with _make_dual; the harness runs neither.
ENGINE_SYMBOLS = (
    "_ZN5torch8autograd6Engine7executeERKSt6vectorINS0_4EdgeESaIS3_EERKS2_IN2at6TensorESaIS9_EEbbbS7_",
    "_ZN5torch8autograd6Engine23execute_with_graph_taskERKSt10shared_ptrINS0_9GraphTaskEEN3c1013"
    "intrusive_ptrINS0_4NodeENS7_6detail34intrusive_target_default_null_typeIS9_EEEEONS0_11InputBufferE",
)
FORWARD_AD_SYMBOLS = (
    "_ZN5torch8autograd10forward_ad16enter_dual_levelEv",
    "_ZN2at4_ops10_make_dual4callERKNS_6TensorES4_l",
    "_ZN2at4_ops10_make_dual10redispatchEN3c1014DispatchKeySetERKNS_6TensorES6_l",
)
_SYSCALL = {"x86_64": 298, "aarch64": 241}  # perf_event_open's number
_UPROBE_TYPE = "/sys/bus/event_source/devices/uprobe/type"
_FD_CLOEXEC = 1 << 3  # PERF_FLAG_FD_CLOEXEC
_FORMAT_GROUP = 1 << 3  # PERF_FORMAT_GROUP: one read() gives every counter of a CPU
_PID_CGROUP = 1 << 2  # PERF_FLAG_PID_CGROUP: "pid" is a cgroup folder's descriptor
_ATTR = struct.Struct("<IIQQQQQIIQQ")  # perf_event_attr up to config2 (PERF_ATTR_SIZE_VER1)


class ProbeUnavailable(OSError):
    """The kernel will not count here; the message says why."""


def library_path() -> str | None:
    """torch's CPU library, where the engine lives (None where torch has no such file)."""
    import torch
    path = os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")
    return os.path.realpath(path) if os.path.isfile(path) else None


@functools.lru_cache(maxsize=4)
def symbol_offsets(path: str, names: tuple[str, ...]) -> tuple[int, ...]:
    """Each exported function's FILE offset in the shared library (what a uprobe takes).
    Where this process has the library loaded (the grader has imported torch), the loader
    already knows: ``_loaded_offsets`` (microseconds); otherwise, or where it cannot say,
    from the file's dynamic symbol table (``_file_offsets``: half a second for torch's)."""
    return _loaded_offsets(path, names) or _file_offsets(path, names)


def _loaded_offsets(path: str, names: tuple[str, ...]) -> tuple[int, ...] | None:
    """The offsets from the library as mapped here: each symbol's address (``dlsym``) and
    the executable mapping of ``path`` that holds it (``/proc/self/maps``: start, file
    offset). None where the library is not loaded, a name is not found, or the address lies
    in no mapping of that file: the symbol table then decides (and says why)."""
    import ctypes
    try:
        library = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        addresses = [ctypes.cast(library[name], ctypes.c_void_p).value for name in names]
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            maps = [line.split(maxsplit=5) for line in fh]
    except (OSError, AttributeError, ValueError):
        return None
    offsets = []
    for address in addresses:
        found = None
        for fields in maps:
            if len(fields) < 6 or "x" not in fields[1] or fields[5].strip() != path:
                continue
            start, end = (int(part, 16) for part in fields[0].split("-"))
            if address is not None and start <= address < end:
                found = address - start + int(fields[2], 16)
                break
        if found is None:
            return None
        offsets.append(found)
    return tuple(offsets)


def _file_offsets(path: str, names: tuple[str, ...]) -> tuple[int, ...]:
    """The offsets from the file's dynamic symbol table, looked up through the GNU hash
    table (the library exports some 75,000 symbols); a name it does not export raises
    ``ProbeUnavailable``."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.hash import ELFHashSection, GNUHashSection

    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        tables = [s for s in elf.iter_sections() if isinstance(s, (GNUHashSection, ELFHashSection))]
        loads = [seg for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"]
        offsets = []
        for name in names:
            symbol = next((s for s in (t.get_symbol(name) for t in tables) if s is not None), None)
            if symbol is None or symbol["st_value"] == 0 or symbol["st_info"]["type"] != "STT_FUNC":
                raise ProbeUnavailable(f"{os.path.basename(path)} exports no function {name}")
            address = symbol["st_value"]
            segment = next((seg for seg in loads
                            if seg["p_vaddr"] <= address < seg["p_vaddr"] + seg["p_filesz"]), None)
            if segment is None:
                raise ProbeUnavailable(f"{name} lies in no loaded segment")
            offsets.append(address - segment["p_vaddr"] + segment["p_offset"])
    return tuple(offsets)


def _open_uprobe(cgroup: int, cpu: int, path: ctypes.Array[ctypes.c_char], offset: int,
                 leader: int = -1) -> int:
    """A counter of the times any task of the cgroup (open as descriptor ``cgroup``) runs
    the instruction at ``offset`` of the library at ``path`` on ``cpu``. A cgroup event is
    the CPU's, not a task's: nothing is inherited when a task of the run starts a thread or
    a process (a per-task event with ``inherit`` would make the kernel refuse the sandbox's
    clone(), EACCES: the child's creator is no perf user), and it joins the cgroup anyway."""
    import ctypes
    number = _SYSCALL.get(platform.machine())
    if platform.system() != "Linux" or number is None:
        raise ProbeUnavailable(f"no uprobes on {platform.system()} {platform.machine()}")
    try:
        with open(_UPROBE_TYPE) as fh:
            pmu = int(fh.read())
    except (OSError, ValueError) as exc:
        raise ProbeUnavailable(f"the kernel has no uprobe event source ({exc})") from None
    attr = ctypes.create_string_buffer(_ATTR.pack(pmu, _ATTR.size, 0, 0, 0, _FORMAT_GROUP, 0, 0, 0,
                                                  ctypes.addressof(path), offset), _ATTR.size)
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.syscall(number, attr, cgroup, cpu, leader, _FD_CLOEXEC | _PID_CGROUP)
    if fd < 0:
        err = ctypes.get_errno()
        raise ProbeUnavailable(err, f"perf_event_open (uprobe, cgroup): {os.strerror(err)}")
    return int(fd)


class EngineCounter:
    """The kernel's counters on the engine's entry points for every task of a cgroup, on
    every CPU: the run's processes, their threads and children, whenever they started."""

    def __init__(self, cgroup: str, path: str) -> None:
        import ctypes
        engine = symbol_offsets(path, ENGINE_SYMBOLS)
        forward = symbol_offsets(path, FORWARD_AD_SYMBOLS)
        self._path = ctypes.create_string_buffer(path.encode())  # the kernel reads it at open
        self._fds: list[int] = []  # per CPU, a group: every symbol's counter, read at once
        self._symbols = len(engine) + len(forward)
        group = os.open(cgroup, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for cpu in _cpus():
                leader = _open_uprobe(group, cpu, self._path, engine[0])
                self._fds.append(leader)
                for offset in engine[1:] + forward:
                    self._fds.append(_open_uprobe(group, cpu, self._path, offset, leader))
        except BaseException:
            self.close()
            raise
        finally:
            os.close(group)
        self._leaders = self._fds[::self._symbols]
        self._engine = len(engine)
        self._format = struct.Struct(f"<{1 + self._symbols}Q")  # nr, then each counter's value

    def read(self) -> tuple[int, ...]:
        """Entries so far, per symbol (ENGINE_SYMBOLS, then FORWARD_AD_SYMBOLS): one read()
        per CPU."""
        totals = [0] * self._symbols
        for leader in self._leaders:
            values = self._format.unpack(os.read(leader, self._format.size))[1:]
            totals = [t + v for t, v in zip(totals, values)]
        return tuple(totals)

    def beyond(self, since: tuple[int, ...], now: tuple[int, ...], expected: int) -> tuple[int, int]:
        """Engine runs between two reads beyond ``expected`` runs of the harness's own (each
        entry point checked on its own: one of them is enough), and forward-AD entries."""
        runs = [b - a for a, b in zip(since, now)]
        return max(max(runs[:self._engine]) - expected, 0), sum(runs[self._engine:])

    def close(self, wait: bool = True) -> None:
        """Close the counters. Taking a uprobe out waits for the kernel's grace periods
        (80 ms a counter measured on an idle 2-core VM, 1.5 s for all on a loaded one):
        without ``wait``, a process of its own does it (``_close_elsewhere``)."""
        fds, self._fds = self._fds, []
        if wait:
            _close_all(fds)
        else:
            _close_elsewhere(fds)


def _close_all(fds: list[int]) -> None:
    for fd in reversed(fds):
        os.close(fd)


def _close_elsewhere(fds: list[int]) -> None:
    """Have a short-lived process of its own take the counters out. A thread would not do:
    the kernel finishes closing a process's descriptors before its exit is reported, so a
    grader that has written its results would still keep its caller (the LMS, `make
    check`) waiting for the grace periods. A grandchild (reparented at once, so nobody
    needs to reap it) keeps the only other copies until this process has closed its own
    (then these close at once: the grandchild's are the last), and closes every other
    descriptor it inherited first (no pipe, socket or lock of the grader stays open in it)."""
    try:
        done_r, done_w = os.pipe()
        pid = os.fork()
    except OSError:
        _close_all(fds)
        return
    if pid == 0:  # pragma: no cover - child processes
        try:
            if os.fork() == 0:
                previous = 0
                for fd in sorted(fds + [done_r]):  # all but the counters and the pipe
                    os.closerange(previous, fd)
                    previous = fd + 1
                os.closerange(previous, os.sysconf("SC_OPEN_MAX"))
                os.read(done_r, 1)  # end of file: the grader has closed its copies
                _close_all(fds)
        finally:
            os._exit(0)
    os.close(done_r)
    try:
        with contextlib.suppress(ChildProcessError):  # a caller that ignores SIGCHLD: reaped already
            os.waitpid(pid, 0)
        _close_all(fds)
    finally:
        os.close(done_w)


def _cpus() -> list[int]:
    """The CPUs online ("0-3,6"): a cgroup event counts on one CPU."""
    with open("/sys/devices/system/cpu/online") as fh:
        spans = [part.split("-") for part in fh.read().strip().split(",") if part]
    return [cpu for span in spans for cpu in range(int(span[0]), int(span[-1]) + 1)]


def _cgroup2_base() -> str | None:
    """This process's own cgroup in the cgroup2 hierarchy, where perf events can follow a
    cgroup (perf_event is implicit there), as a path; None without one."""
    try:
        with open("/proc/self/cgroup") as fh:
            own = next((line.strip()[3:] for line in fh if line.startswith("0::")), None)
        with open("/proc/self/mountinfo") as fh:
            mounts = [line.split() for line in fh]
    except OSError:
        return None
    mount = next((m[4] for m in mounts if "cgroup2" in m[m.index("-") + 1:m.index("-") + 2]), None)
    if own is None or mount is None:
        return None
    return os.path.join(mount, own.lstrip("/"))


class RunProbe:
    """A run's cgroup (its supervisor joins it: every process of the run is in it) and the
    kernel's counters on it, opened before any process of the run exists. ``existing``: a
    cgroup2 folder the run is put in anyway (its memory cap), used as it is: a process is
    in one cgroup2 folder only."""

    def __init__(self, name: str, existing: str | None = None) -> None:
        base, path = _cgroup2_base(), library_path()
        if path is None:
            raise ProbeUnavailable("torch has no libtorch_cpu.so here")
        if existing is None and base is None:
            raise ProbeUnavailable("no cgroup2 hierarchy")
        self.cgroup = existing or os.path.join(str(base), name)
        self.own = existing is None
        if self.own:
            _sweep(str(base))
            try:
                os.mkdir(self.cgroup, 0o755)
            except OSError as exc:
                raise ProbeUnavailable(f"cannot make a cgroup for the run ({exc.strerror})") from None
        self.charged: set[str] = set()  # the run's functions that ran autograd in a call
        try:
            self.counter = EngineCounter(self.cgroup, path)
        except BaseException:
            self._remove()
            raise

    def holds(self, pid: int) -> bool:
        """Whether process ``pid`` (the run's supervisor or init) is in the cgroup."""
        try:
            with open(os.path.join(self.cgroup, "cgroup.procs")) as fh:
                return str(pid) in fh.read().split()
        except OSError:
            return False

    def close(self) -> None:
        """After the run's processes are gone: the cgroup goes at once, the counters in the
        background (their counts are no longer read)."""
        self._remove()
        self.counter.close(wait=False)

    def _remove(self) -> None:
        if self.own:
            try:
                os.rmdir(self.cgroup)
            except OSError:  # a process of the run still dying: left empty, harmless
                pass


def _sweep(base: str) -> None:
    """Remove the run cgroups of graders that are gone (killed before closing their run):
    empty folders named for a pid no longer there."""
    for name in os.listdir(base):
        parts = name.split("-")
        if name.startswith("gradkit-engine-") and parts[2].isdigit() and not os.path.exists(
                f"/proc/{parts[2]}"):
            try:
                os.rmdir(os.path.join(base, name))
            except OSError:  # not empty, or not ours to remove
                pass


# Why the kernel will not count for this process (None: it will), once known: from a run's
# probe that opened, or from a trial probe of its own.
_KNOWN: dict[str, str | None] = {}


def _trial() -> str | None:
    """A probe of its own, opened and closed: why it failed (None: it worked)."""
    try:
        RunProbe(f"gradkit-engine-{os.getpid()}-try").close()
    except ImportError:
        return "pyelftools is not installed"
    except (OSError, ValueError) as exc:  # ValueError: an ELF file pyelftools cannot read
        return str(exc) or type(exc).__name__
    return None


def unavailable() -> str | None:
    """Why the kernel will not count engine runs for this grader (None: it will). Tried
    once per process, the way a run does it (or known from a run's probe already open)."""
    if os.environ.get("GRADKIT_KERNEL_RULES") == "0":  # the grader's environment, never the sandbox's
        return "turned off (GRADKIT_KERNEL_RULES=0)"
    if "why" not in _KNOWN:
        _KNOWN["why"] = _trial()
    return _KNOWN["why"]


def level() -> str:
    """Who observes the rules for a grading started now."""
    return RULES_KERNEL if unavailable() is None else RULES_IN_PROCESS


def start(name: str, existing: str | None = None) -> RunProbe | None:
    """A run's probe, or None where the kernel will not count (``unavailable`` says why).
    No trial first: a trial's counters cost their closing (the kernel's grace periods,
    about 0.8 s for ten counters) in every grading process."""
    if os.environ.get("GRADKIT_KERNEL_RULES") == "0" or _KNOWN.get("why") is not None:
        return None
    try:
        probe = RunProbe(name, existing)
    except (ImportError, OSError, ValueError):
        return None
    _KNOWN["why"] = None
    return probe


def harness_runs(message: Mapping[str, Any]) -> int:
    """Backward passes the worker's harness runs itself serving ``message``
    (gradkit/untrusted/worker.py), decided from the request alone: two ledger probes
    around an import ("load"), and around a call two more, one per recipe leaf given a
    ``.grad`` by a backward pass, and for a vjp its backward plus a probe (a drawing: a
    probe). Where a path is not taken (a syntax error, a value that is not a tensor) the
    harness runs fewer: this is the most it runs."""
    op = message.get("op")
    if op == "load":
        return 2
    if op != "call":
        return 0
    graph = message.get("graph")
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    leaves = sum(1 for n in nodes or [] if isinstance(n, dict) and n.get("op") == "leaf" and n.get("grad"))
    vjp, draw = bool(message.get("vjp")), bool(message.get("draw"))
    return 2 + leaves + int(vjp) + int(vjp or draw)


def with_import_facts(reply: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    """The call's reply with what the worker saw while importing (its audit events, a
    grader changed at import) put in front of the call's own: the grader screens them with
    the call, as it did when the call imported the module."""
    facts, before = reply.get("facts"), loaded.get("facts")
    if isinstance(facts, dict) and isinstance(before, dict):
        for key in ("audit", "tampered"):
            if isinstance(before.get(key), list) and isinstance(facts.get(key), list):
                facts[key] = before[key] + facts[key]  # a reply without them stays without
    return reply


class EngineWitness:
    """One worker's engine runs, read by the grader around each request.

    A run between requests (a thread of the student's, after a reply), or while the
    module is imported (its own "load" request), belongs to no call: like the worker's own
    ledger, it counts against every later call of the worker (``outside``)."""

    def __init__(self, counter: EngineCounter, charged: set[str] | None = None) -> None:
        self.counter = counter
        # functions a call of which ran autograd: every later call of theirs is charged too
        # (a gradient traced with autograd in one call and replayed in the next runs no engine)
        self.charged = charged if charged is not None else set()
        self.last = counter.read()
        self.outside = 0  # runs no call owns (imported, or between requests)
        self.loaded = False  # the module's "load" request was sent
        self.call_runs = 0  # the student's runs in the last call (forward-AD entries included)
        self.call_backward: int | None = None  # its backward passes (None: not told apart)
        self.ready = False  # the worker has answered once: its start-up (a ledger probe) is over

    def before(self) -> None:
        now = self.counter.read()
        if self.ready:
            self.outside += sum(self.counter.beyond(self.last, now, 0))
        self.last = now

    def after(self, message: Mapping[str, Any]) -> None:
        now = self.counter.read()
        backward, forward = self.counter.beyond(self.last, now, harness_runs(message))
        self.last = now
        if not self.ready:  # the first reply (a ping): the worker's start-up, before any student code
            self.ready = True
        elif message.get("op") == "load":
            self.outside += backward + forward
        else:
            self.call_runs = backward + forward
            # backward passes the call ran, where no harness backward shares its window
            self.call_backward = None if message.get("vjp") or message.get("draw") else backward

    def judge(self, facts: dict[str, Any], flags: list[dict[str, Any]], label: str) -> None:
        """Put the kernel's verdict into the call's facts: autograd was used when the kernel
        counted a run of the student's in the call, or one no call owns, whatever the reply
        said; the worker's own watch can still add what only it sees (a run in a call while
        a thread of the student's was alive is the module's, not the call's). The backward
        passes are the kernel's count. A reply that denied a counted run is flagged for the
        instructor: the student's code wrote it."""
        if self.call_runs:
            self.charged.add(label)
        counted = bool(self.call_runs or self.outside)
        # the worker's watch may add, never hide; an earlier call's runs are this one's too
        used = counted or label in self.charged or bool(facts.get("autograd_used"))
        if counted and not facts.get("autograd_used"):  # a denial of what the kernel saw
            detail = (f"{self.call_runs} engine run(s) or forward-AD entries in the call"
                      if self.call_runs else f"{self.outside} engine run(s) at import or between calls")
            entry = {"function": label, "event": "engine_kernel",
                     "detail": f"the kernel counted {detail}; the reply said no autograd"}
            if entry not in flags and len(flags) < 500:
                flags.append(entry)
        facts["autograd_used"] = used
        if self.call_backward is not None:
            facts["backward_calls"] = self.call_backward
        facts["rules_observed_by"] = RULES_KERNEL
