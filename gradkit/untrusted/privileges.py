"""Running student code as nobody in particular, when the grader runs as root.

LMS containers run the grader as root. Then each worker drops to an unprivileged
user id of its own before it touches student code: one uid per grading run, taken
from ``GRADKIT_SANDBOX_UIDS`` (default 61000-61999; ``off`` disables the sandbox)
and held by a lock, so concurrent runs (batch grading) never share one. The
worker cannot signal the grader (another user), read what root keeps to itself
(the kit's checks, solutions and tests, the results folder: see ``protect``) or
write the results file, and it runs under limits on processes, open files and
memory. When grading ends, every process of that uid is killed, however it
tried to detach itself. Without root none of this is possible, and the worker's
process group is all that is cleaned up.
"""

from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import stat
import sys
import sysconfig
import tempfile
from dataclasses import dataclass

DEFAULT_UIDS = "61000-61999"
MAX_PROCESSES = 256  # threads count too: torch runs a pool per worker
MAX_OPEN_FILES = 256
MAX_MEMORY_MB = 3072


class SandboxError(RuntimeError):
    """The sandbox cannot work here; the message says what an admin should change."""


@dataclass
class Sandbox:
    uid: int
    gid: int
    home: str  # the folder the worker may write in (and runs in)
    lock: int = -1  # the fd whose lock reserves the uid for this run

    def as_message(self) -> dict:
        return {"uid": self.uid, "gid": self.gid, "home": self.home}

    def release(self) -> None:
        kill_everything_of(self.uid)
        if self.lock >= 0:
            os.close(self.lock)
            self.lock = -1


def wanted() -> bool:
    return os.geteuid() == 0 and os.environ.get("GRADKIT_SANDBOX_UIDS", DEFAULT_UIDS) != "off"


def prepare(scratch: str, submission: str) -> tuple[Sandbox, str]:
    """Reserve a uid, and give it a home inside ``scratch`` (root's) holding a copy of
    the submission it owns; returns the sandbox and the copy's path."""
    uid, lock = _reserve_uid()
    sandbox = Sandbox(uid, uid, os.path.join(scratch, "sandbox"), lock)
    try:
        _check_python_readable(uid)
        os.chmod(scratch, 0o711)  # the user may pass through, not look around
        copy = os.path.join(sandbox.home, "submission")
        shutil.copytree(submission, copy, symlinks=True)  # links copied as links, not followed
        for root, dirs, files in os.walk(sandbox.home):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.lchown(name, uid, uid)
    except BaseException:
        sandbox.release()
        raise
    return sandbox, copy


def unready() -> str | None:
    """Why the sandbox cannot run here (a uid would not be able to read Python, torch or
    the kit), or None when it can. For the kit's own tests, which must run from a clone
    in any folder."""
    try:
        uid, lock = _reserve_uid()
    except SandboxError as exc:
        return str(exc)
    try:
        _check_python_readable(uid)
    except SandboxError as exc:
        return str(exc)
    finally:
        os.close(lock)
    return None


def _reserve_uid() -> tuple[int, int]:
    first, last = (int(n) for n in os.environ.get("GRADKIT_SANDBOX_UIDS", DEFAULT_UIDS).split("-"))
    locks = os.path.join(tempfile.gettempdir(), "gradkit-uids")
    os.makedirs(locks, mode=0o700, exist_ok=True)
    for uid in range(first, last + 1):
        fd = os.open(os.path.join(locks, str(uid)), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        kill_everything_of(uid)  # leftovers of a run that died before cleaning up
        return uid, fd
    raise SandboxError(f"every sandbox uid in {first}-{last} is in use")


def _check_python_readable(uid: int) -> None:
    """The sandbox user must be able to import what student code may import lazily."""
    import torch

    paths = [sysconfig.get_paths()["stdlib"], os.path.dirname(torch.__file__),
             os.path.dirname(os.path.dirname(__file__))]
    code = _as_user(uid, lambda: next(
        (i + 1 for i, p in enumerate(paths) if not os.access(p, os.R_OK | os.X_OK)), 0))
    if code:
        raise SandboxError(
            f"the sandbox user (uid {uid}) cannot read {paths[code - 1]}, so student code "
            "could not import modules; make the Python installation readable by all users "
            "(chmod o+rX on it and its parent folders), or set GRADKIT_SANDBOX_UIDS=off to "
            f"grade without a sandbox (not for untrusted code). Python: {sys.executable}")


def protect(paths) -> None:
    """Take away other users' access to ``paths`` (root-owned folders: the kit's
    checks, solutions and tests, the results folder)."""
    for path in paths:
        try:
            info = os.stat(path)
            if info.st_uid == 0 and stat.S_ISDIR(info.st_mode):
                os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
        except OSError:
            pass


def enter(sandbox: dict, cuda: bool) -> None:
    """In a freshly forked worker: limits, then the user's identity, for good."""
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not cuda:  # CUDA maps huge address ranges; an address-space cap would break it
        limit = MAX_MEMORY_MB << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.setgroups([])
    os.setgid(sandbox["gid"])
    os.setuid(sandbox["uid"])
    os.chdir(sandbox["home"])
    os.environ["HOME"] = sandbox["home"]
    if os.getuid() == 0 or os.geteuid() == 0:  # pragma: no cover - never continue as root
        os._exit(70)


def kill_everything_of(uid: int) -> None:
    """SIGKILL every process of ``uid``: a child takes that identity and signals all it can
    (every process this user may signal, but not itself)."""
    _as_user(uid, lambda: os.kill(-1, signal.SIGKILL))


def _as_user(uid: int, action) -> int:
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
