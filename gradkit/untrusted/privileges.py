"""A uid of its own for each grading run, when the grader runs as root; and the
limits every worker runs under.

One uid per run, taken from ``GRADKIT_SANDBOX_UIDS`` (default 61000-61999) and held
by a lock, so concurrent runs (batch grading) never share one, and a uid's
``RLIMIT_NPROC`` is the run's own. In namespace mode the run's init takes that
uid; in uid mode (namespaces refused) each worker does, and the run gets a private
home (0700, that uid's) holding its copy of the submission. At the end, and again
before a uid is handed out, every process of the uid is killed and (uid mode)
every file it owns in the shared temporary folders removed.
"""

from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import tempfile
from typing import Callable, Iterable

from . import isolation

DEFAULT_UIDS = "61000-61999"
MAX_PROCESSES = 256  # threads count too: torch runs a pool per worker
MAX_OPEN_FILES = 256
MAX_MEMORY_MB = 3072


class SandboxError(RuntimeError):
    """The sandbox cannot work here; the message says what an admin should change."""


def uid_range() -> tuple[int, int]:
    value = os.environ.get("GRADKIT_SANDBOX_UIDS", DEFAULT_UIDS)
    try:
        first, last = (int(n) for n in value.split("-"))
    except ValueError:
        raise SandboxError(f"GRADKIT_SANDBOX_UIDS={value!r}: expected a range like "
                           f"{DEFAULT_UIDS}") from None
    return first, last


def uid_locks_folder() -> str:
    """Where every grader on this machine keeps its uid locks. Not under ``$TMPDIR``: two
    graders with different ``TMPDIR`` values would each hand out the same uid, and the
    second would kill the first's run as "leftovers" of that uid."""
    return "/run/gradkit-uids" if os.access("/run", os.W_OK) else "/tmp/gradkit-uids"


def reserve_uid() -> tuple[int, int]:
    """A uid no other run holds, and the fd whose lock holds it. Whatever a previous run
    of that uid left (processes, files in the shared temporary folders) is removed first."""
    first, last = uid_range()
    locks = uid_locks_folder()
    try:
        os.mkdir(locks, 0o700)
    except FileExistsError:
        pass
    dir_fd = os.open(locks, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        if os.fstat(dir_fd).st_uid != os.geteuid():
            raise SandboxError(f"{locks} is not the grader's own folder")
        for uid in range(first, last + 1):
            fd = os.open(str(uid), os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            kill_everything_of(uid)  # leftovers of a run that died before cleaning up
            isolation.purge_files_of(uid)
            return uid, fd
    finally:
        os.close(dir_fd)
    raise SandboxError(f"every sandbox uid in {first}-{last} is in use")


def unreadable_for(uid: int, extra: Iterable[str] = ()) -> str | None:
    """The first folder on the way to Python, torch, the engine (or ``extra``) that
    ``uid`` cannot enter (uid mode needs them readable by other users), or None."""
    import sysconfig

    import torch
    paths = [sysconfig.get_paths()["stdlib"], os.path.dirname(torch.__file__),
             os.path.dirname(os.path.dirname(os.path.abspath(__file__))), *extra]
    steps: dict[str, int] = {}  # each folder on the way: passed through (x), the last one also read (rx)
    for path in paths:
        parts = os.path.abspath(path).split(os.sep)
        for i in range(2, len(parts)):
            steps.setdefault(os.sep.join(parts[:i]) or os.sep, os.X_OK)
        steps[os.path.abspath(path)] = os.R_OK | os.X_OK
    order = list(steps.items())
    index = _as_user(uid, lambda: next(
        (i + 1 for i, (p, mode) in enumerate(order) if not os.access(p, mode)), 0))
    return order[index - 1][0] if 0 < index <= len(order) else None


def private_home(scratch: str, uid: int) -> str:
    """A folder of ``uid``'s alone (0700) inside the grader's ``scratch`` (which it may
    only pass through)."""
    os.chmod(scratch, 0o711)  # the grader made scratch: the only chmod it does
    home = tempfile.mkdtemp(prefix="home-", dir=scratch)
    os.chown(home, uid, uid)
    return home


def copy_for(folder: str, home: str, uid: int) -> str:
    """A copy of the submission in ``home``, owned by ``uid`` (links copied as links)."""
    copy = os.path.join(home, "submission")
    shutil.copytree(folder, copy, symlinks=True)
    for root, dirs, files in os.walk(copy):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.lchown(name, uid, uid)
    return copy


def limit(cuda: bool) -> None:
    """The limits of a worker: processes, open files, no core files, address space."""
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # A CUDA build of torch maps huge address ranges even without a GPU (autograd.grad then
    # raises MemoryError under a 3 GB cap): there the run's cgroup is the memory cap.
    if not cuda and not _cuda_build():
        cap = MAX_MEMORY_MB << 20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _cuda_build() -> bool:
    import torch
    return bool(torch.version.cuda)


def become(uid: int, gid: int) -> None:
    """For good: ``uid``, no groups, no new privileges."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    isolation.prctl(isolation.PR_SET_NO_NEW_PRIVS, 1)
    if os.getuid() == 0 or os.geteuid() == 0:  # pragma: no cover - never continue as root
        os._exit(70)


def kill_everything_of(uid: int) -> None:
    """SIGKILL every process of ``uid``: a child takes that identity and signals all it can
    (every process this user may signal, but not itself), until none is left."""
    for _ in range(20):
        _as_user(uid, lambda: os.kill(-1, signal.SIGKILL))
        if not _running(uid):
            return


def _running(uid: int) -> bool:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                return True
        except OSError:
            pass
    return False


def _as_user(uid: int, action: Callable[[], int | None]) -> int:
    """Run ``action`` in a forked child that has become ``uid``; its int result (or 0,
    or 1 if it failed) is the exit status returned."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child process
        code = 1
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            code = action() or 0
        except OSError:
            pass
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
