"""A core of its own for each grading: the grader and its run's processes share it.

A grading is a conversation: the grader sends an input and waits while the worker runs
the student's function, then the worker waits while the grader judges the answer. Spread
over two cores, every one of those hand-overs wakes the other core, and on a virtual
machine a sleeping core's wake-up is slow. Measured on a 2-core VM with solutions/ (`make
bench`'s submission): five topics on one core together 4.1-4.3 s, unpinned 5.3-5.4 s; the
two halves of a split grading side by side, each pinned, 4.9-5.5 s, unpinned 6.5-7.1 s.

So a grading claims a core for as long as it runs (``claimed``): the first of this
process's allowed cores, starting from the one it is running on, that no other grading of
this user holds. A claim is a lock file per core held with ``flock`` (let go when the
grading ends or its process dies, however it dies). Where every core is held (more
graders than cores), the grading is not pinned and the kernel spreads the work as before.
The run's processes follow the grader's core (``Run``'s config carries it to the sandbox's
supervisor). ``GRADKIT_PIN=off`` turns all of this off.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator


def enabled() -> bool:
    return os.environ.get("GRADKIT_PIN", "on").strip().lower() not in ("off", "0", "no", "false")


def allowed() -> list[int]:
    """The cores this thread may run on (none where the platform cannot say)."""
    if not hasattr(os, "sched_getaffinity"):
        return []
    return sorted(os.sched_getaffinity(0))


def usable(cpu_max: str = "/sys/fs/cgroup/cpu.max") -> int:
    """Cores this process may keep busy: its CPU affinity, capped by its cgroup's CPU quota
    (a container given half a CPU, as Gradescope's are, sees every host core)."""
    count = len(allowed()) or 1
    try:
        quota, period = Path(cpu_max).read_text().split()[:2]
        if quota != "max":
            count = min(count, int(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return count


def current() -> int | None:
    """The core this process is running on now (field 39 of /proc/self/stat)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return None


def _lock_folder() -> Path | None:
    """This user's folder of core locks, private to them (None where none can be had)."""
    folder = Path(tempfile.gettempdir()) / f"gradkit-cores-{os.geteuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
        return None  # someone else's, or open to others: no pinning rather than their locks
    return folder


def _take(folder: Path, core: int) -> int | None:
    """The descriptor holding core ``core``'s lock, or None when another grading holds it."""
    try:
        fd = os.open(folder / f"core-{core}.lock",
                     os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def claimed() -> Iterator[int | None]:
    """Run the block pinned to a core no other grading holds (its number), or unpinned
    (None) where there is none, pinning is off, or the machine has one core for us. The
    thread's affinity is as before afterwards (a notebook's kernel keeps all its cores)."""
    cores = allowed() if enabled() else []
    # Under a CPU quota smaller than the cores it sees (containers side by side on one host,
    # each locking in its own /tmp), a pinned grading could not be moved off a busy core.
    folder = _lock_folder() if len(cores) > 1 and usable() >= len(cores) else None
    if folder is None:
        yield None
        return
    here = current()
    start = cores.index(here) if here in cores else 0
    for core in cores[start:] + cores[:start]:
        fd = _take(folder, core)
        if fd is None:
            continue
        try:
            os.sched_setaffinity(0, {core})
        except OSError:
            os.close(fd)
            break
        try:
            yield core
        finally:
            _unpin({core}, cores)
            os.close(fd)
        return
    yield None


def _unpin(pinned: set[int], cores: list[int]) -> None:
    """Every thread of this process still on ``pinned`` back on ``cores``: this one, and
    the threads started while it was pinned (torch's pool), which inherited its core."""
    try:
        threads = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        threads = [0]
    for tid in threads:
        with contextlib.suppress(OSError):
            if os.sched_getaffinity(tid) == pinned:
                os.sched_setaffinity(tid, cores)


def follow(cores: list[int] | None) -> None:
    """Run this process on ``cores`` (the grader's, for the run's processes); nothing
    where that is refused or not said."""
    if cores and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError, ValueError):
            os.sched_setaffinity(0, cores)
