"""Isolation levels for a grading run, and the kernel calls that build them.

One grading run gets one isolated world, set up by a *supervisor* process forked
from the zygote (see ``sandbox``). Three levels, the best the machine allows:

``namespaces``
    Root, or a kernel that lets ordinary users create user namespaces. The run gets
    its own mount, pid, network, IPC and UTS namespaces. Its root is a size-capped
    tmpfs holding, read-only, only what student code needs (the system folders, the
    Python installation, torch, the gradkit engine), a copy of the submission, a
    private ``/tmp``, ``/var/tmp`` and ``/dev/shm``, a minimal ``/dev`` and its own
    ``/proc``. The kit's checks, solutions, tests and the results folder are simply
    not there. Its init is pid 1 of the pid namespace: when it dies, the kernel kills
    every process of the run. Student code runs without any privilege.
    The namespaces are made with the kernel's calls directly (``unshare``, ``mount``,
    ``pivot_root``) rather than with bubblewrap: workers are forked from a warm
    zygote, and a tool must exec a new process (a fresh ``import torch``, about
    150 MB more per sandbox).
``uid``
    Root where namespaces are refused (Docker's default seccomp profile): student
    code runs under a uid of its own per run, with a private 0700 scratch; at the end
    every process of that uid is killed and every file it owns in ``/tmp``,
    ``/var/tmp`` and ``/dev/shm`` removed.
``none``
    Neither: the supervisor is a child subreaper, and at the end every process that
    descends from it is killed before any result is written.

``GRADKIT_ISOLATION`` (``auto``, ``namespaces``, ``uid``, ``none``) forces a level.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import shutil
import signal
import stat
import sys
from typing import Any, Iterable

LEVELS = ("namespaces", "uid", "none")

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_SYSCALLS = {"x86_64": {"pivot_root": 155, "capset": 126},
             "aarch64": {"pivot_root": 41, "capset": 91}}

TMP_MB = 512  # each of /tmp, /var/tmp and /dev/shm (RAM: the memory cap counts it too)
ROOT_MB = 64  # the new root itself: the submission copy, mount points
SANDBOX_HOME = "/home/sandbox"
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class IsolationError(RuntimeError):
    """The requested level cannot be set up here."""


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def _syscall(name: str, *args: Any) -> int:
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        raise OSError(errno.ENOSYS, f"{name}: unknown architecture {platform.machine()}")
    return _check(_libc.syscall(ctypes.c_long(numbers[name]), *args), name)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def umount2(target: str, flags: int) -> None:
    _check(_libc.umount2(os.fsencode(target), ctypes.c_int(flags)), f"umount {target}")


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)), "prctl")


def drop_capabilities() -> None:
    """No capability left, now or ever: the bounding set emptied, then capset to zero,
    and no_new_privs so no setuid program can hand any back."""
    for cap in range(64):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # past the last capability this kernel knows
                break
            raise
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: twice, all zero
    _syscall("capset", header, data)
    prctl(PR_SET_NO_NEW_PRIVS, 1)


# -- which level ------------------------------------------------------------------

_probed: dict[str, bool] = {}


def requested() -> str:
    value = os.environ.get("GRADKIT_ISOLATION", "").strip().lower()
    if not value:  # the old switch: no uid sandbox, so no isolation at all
        value = "none" if os.environ.get("GRADKIT_SANDBOX_UIDS") == "off" else "auto"
    if value not in LEVELS + ("auto",):
        raise IsolationError(f"GRADKIT_ISOLATION={value!r}: use auto, namespaces, uid or none")
    return value


def level() -> str:
    """The level this process's gradings get: the one forced, else the best available."""
    wanted = requested()
    if wanted == "namespaces" and not namespaces_possible():
        raise IsolationError("GRADKIT_ISOLATION=namespaces, but this kernel or container "
                             "refuses new namespaces (try uid as root, or none)")
    if wanted == "uid" and os.geteuid() != 0:
        raise IsolationError("GRADKIT_ISOLATION=uid needs root")
    if wanted != "auto":
        return wanted
    if namespaces_possible():
        return "namespaces"
    return "uid" if os.geteuid() == 0 else "none"


def namespaces_possible() -> bool:
    """Whether a forked child can make the namespaces and mounts a run needs."""
    if "ns" not in _probed:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            code = 1
            try:
                flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
                if os.geteuid() != 0:
                    flags |= CLONE_NEWUSER
                outer_uid, outer_gid = os.geteuid(), os.getegid()
                unshare(flags)
                if flags & CLONE_NEWUSER:
                    _map_ids(outer_uid, outer_gid)
                mount(None, "/", None, MS_REC | MS_PRIVATE)
                code = 0
            except BaseException:
                pass
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        _probed["ns"] = os.waitstatus_to_exitcode(status) == 0
    return _probed["ns"]


def _map_ids(uid: int, gid: int) -> None:
    """In a new user namespace: the same uid and gid inside as outside, nothing else."""
    for name, value in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                        ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(value)


# -- the namespace world ----------------------------------------------------------

def enter_namespaces() -> bool:
    """In the supervisor: new namespaces (a user namespace too when not root). Returns
    whether a user namespace was made. The next child forked is pid 1 of the run."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    user = os.geteuid() != 0
    uid, gid = os.geteuid(), os.getegid()
    if user:
        flags |= CLONE_NEWUSER
    unshare(flags)
    if user:
        _map_ids(uid, gid)
    return user


def readonly_paths(extra: Iterable[str] = ()) -> list[str]:
    """What student code may read: the system, Python, its packages, and ``extra``
    (the engine's folder). Nothing else of the machine."""
    import sysconfig
    wanted = ["/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc",
              sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix]
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        wanted.append(sysconfig.get_paths().get(key, ""))
    try:
        import torch
        wanted.append(os.path.dirname(os.path.dirname(torch.__file__)))
    except ImportError:  # pragma: no cover
        pass
    wanted += list(extra)
    return [p for p in dict.fromkeys(os.path.abspath(p) for p in wanted if p)
            if os.path.lexists(p)]


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _makedirs(path: str) -> None:
    """``path``'s missing folders, 0755, whatever the umask."""
    if not os.path.isdir(path):
        _makedirs(os.path.dirname(path))
        os.mkdir(path)
        os.chmod(path, 0o755)


def _readonly_again(target: str, source: str) -> None:
    """Remount a bind read-only, keeping the flags the original mount locks."""
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY
    locked = os.statvfs(source).f_flag
    for st_flag, ms_flag in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV),
                             (os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME),
                             (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)):
        if locked & st_flag:
            flags |= ms_flag
    mount(None, target, None, flags | MS_NOSUID)


def _submounts(root: str) -> list[str]:
    """The mount point of every mount under ``root``."""
    found = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            point = line.split()[4].encode().decode("unicode_escape")
            if _under(point, root) and point != root:
                found.append(point)
    return found


def build_root(new_root: str, submission: str | None, readonly: list[str], uid: int, gid: int,
               cuda: bool) -> str | None:
    """In the run's init (pid 1, still privileged in its namespaces): build the run's root
    on a tmpfs at ``new_root`` and pivot into it. Returns the submission's path inside."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("gradkit", new_root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={ROOT_MB}m,mode=0755")
    # The private temporary folders first: a read-only path below one of them (a clone
    # made with mktemp -d, say) is then bound on top, not hidden.
    for folder, mb in (("/tmp", TMP_MB), ("/var/tmp", TMP_MB), ("/dev/shm", TMP_MB)):
        _makedirs(new_root + folder)
        mount("gradkit-tmp", new_root + folder, "tmpfs", MS_NOSUID | MS_NODEV,
              f"size={mb}m,mode=1777")
    writable = {new_root + f for f in ("/tmp", "/var/tmp", "/dev/shm")}
    binds: list[str] = []
    for path in sorted(readonly, key=len):
        if any(_under(path, done) for done in binds):
            continue
        target = new_root + path
        if os.path.islink(path) and os.path.dirname(path) == "/":  # /bin -> usr/bin
            os.symlink(os.readlink(path), target)
            continue
        real = os.path.realpath(path)
        if not os.path.isdir(real):
            continue
        _makedirs(target)
        mount(real, target, None, MS_BIND | MS_REC)
        binds.append(path)
    for point in _submounts(new_root):  # each bind, and what was mounted inside it
        if point in writable:
            continue
        try:
            _readonly_again(point, point)
        except OSError:
            umount2(point, MNT_DETACH)  # cannot be made read-only: not there at all
    home = new_root + SANDBOX_HOME
    _makedirs(os.path.dirname(home))
    os.mkdir(home, 0o700)
    inside = None
    if submission is not None:
        inside = SANDBOX_HOME + "/submission"
        shutil.copytree(submission, new_root + inside, symlinks=True)
    for root, dirs, files in os.walk(home):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.lchown(name, uid, gid)
    _devices(new_root, cuda)
    _makedirs(new_root + "/proc")
    try:
        mount("proc", new_root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:  # a container may forbid a fresh /proc: then there is none
        os.rmdir(new_root + "/proc")
    os.chdir(new_root)
    _syscall("pivot_root", b".", b".")
    umount2(".", MNT_DETACH)
    os.chdir("/")
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    try:
        _libc.sethostname(b"sandbox", 7)
    except OSError:  # pragma: no cover
        pass
    return inside


def _devices(new_root: str, cuda: bool) -> None:
    dev = new_root + "/dev"
    _makedirs(dev)
    names = list(DEVICES)
    if cuda:
        names += [n for n in os.listdir("/dev") if n.startswith("nvidia")]
    for name in names:
        source = "/dev/" + name
        if not os.path.exists(source) or os.path.isdir(source):
            continue
        target = f"{dev}/{name}"
        with open(target, "w"):
            pass
        mount(source, target, None, MS_BIND)
    if cuda and os.path.isdir("/dev/nvidia-caps"):
        _makedirs(dev + "/nvidia-caps")
        mount("/dev/nvidia-caps", dev + "/nvidia-caps", None, MS_BIND | MS_REC)
    for name, to in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                     ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(to, f"{dev}/{name}")


def drop_to(uid: int, gid: int, user_namespace: bool) -> None:
    """For good: as root the run's own uid and no groups; in a user namespace no
    capability at all. Either way no_new_privs."""
    if user_namespace:
        drop_capabilities()
    else:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        if os.getuid() == 0 or os.geteuid() == 0:  # pragma: no cover - never go on as root
            os._exit(70)


# -- the process's own traces -----------------------------------------------------

ALLOWED_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER",
               "PYTHONHASHSEED", "PYTHONIOENCODING", "GRADKIT_LANG", "TERM")


def allowed_environment(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k in ALLOWED_ENV or k.startswith("LC_")}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(HOME=home, TMPDIR="/tmp", USER="sandbox", LOGNAME="sandbox")
    return env


def wipe_environment_block() -> None:
    """Zero the environment the process was started with, in its own memory (what
    ``/proc/self/environ`` shows, and what every fork of it inherits)."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[-3]), int(fields[-2])  # env_start, env_end (then exit_code)
    except (OSError, ValueError, IndexError):
        return
    if 0 < start < end:
        ctypes.memset(start, 0, end - start)


def set_environment(env: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(env)


def close_other_fds(keep: Iterable[int]) -> None:
    """Close every descriptor but ``keep`` (and 0-2)."""
    keep = sorted({fd for fd in keep if fd > 2})
    low = 3
    for fd in keep + [None]:
        if fd is None:
            os.closerange(low, 1 << 20 if _max_fd() > (1 << 20) else _max_fd())
        else:
            os.closerange(low, fd)
            low = fd + 1


def _max_fd() -> int:
    try:
        return max(int(n) for n in os.listdir("/proc/self/fd")) + 1
    except (OSError, ValueError):
        return 65536


# -- cleaning up after a run ------------------------------------------------------

SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def purge_files_of(uid: int, folders: Iterable[str] = SHARED_TMP, depth: int = 12) -> int:
    """Remove every file and folder ``uid`` owns in ``folders`` (at any depth up to
    ``depth``), never following a link: everything goes through directory fds and
    lstat. Call only once no process of ``uid`` is left. Returns how many were removed."""
    removed = 0
    for folder in folders:
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            removed += _purge(fd, uid, depth)
        finally:
            os.close(fd)
    return removed


def _purge(dir_fd: int, uid: int, depth: int) -> int:
    removed = 0
    try:
        names = os.listdir(dir_fd)
    except OSError:
        return 0
    for name in names:
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            continue
        is_dir = stat.S_ISDIR(info.st_mode)
        if info.st_uid == uid:
            removed += _remove(dir_fd, name, is_dir)
        elif is_dir and depth > 0 and info.st_mode & stat.S_IWOTH:
            # Only a folder everyone may write can hold a file of the uid's (with no
            # groups, it writes nowhere else): the rest of the tree is not walked.
            try:
                sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            except OSError:
                continue
            try:
                removed += _purge(sub, uid, depth - 1)
            finally:
                os.close(sub)
    return removed


def _remove(dir_fd: int, name: str, is_dir: bool) -> int:
    """``name`` in ``dir_fd``, and all below it if a folder (whoever owns it)."""
    if not is_dir:
        try:
            os.unlink(name, dir_fd=dir_fd)
            return 1
        except OSError:
            return 0
    count = 0
    try:
        sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        return 0
    try:
        for child in os.listdir(sub):
            try:
                info = os.stat(child, dir_fd=sub, follow_symlinks=False)
            except OSError:
                continue
            count += _remove(sub, child, stat.S_ISDIR(info.st_mode))
    finally:
        os.close(sub)
    try:
        os.rmdir(name, dir_fd=dir_fd)
        count += 1
    except OSError:
        pass
    return count


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (every thread's)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(p) for p in fh.read().split()]
    except (OSError, ValueError):
        pass
    return found


def kill_descendants(rounds: int = 2000) -> None:
    """In a child subreaper: kill every process below this one, whatever it did to
    detach itself, until none is left. An orphan is handed to this process as its parent
    exits, so once every child is reaped, every descendant has been seen."""
    import time
    me = os.getpid()
    for _ in range(rounds):
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        kids = children_of(me)
        if not kids:
            return
        for pid in kids:
            for target in (-pid, pid):
                try:
                    os.kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        time.sleep(0.002)


# -- a memory cap for the whole run -----------------------------------------------

def _own_cgroup(controller: str | None) -> str | None:
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controller is None and controllers == "":
                    return path
                if controller is not None and controller in controllers.split(","):
                    return path
    except OSError:
        pass
    return None


class MemoryCap:
    """A cgroup for one run, capping the memory of all its processes together (tmpfs
    pages they write included). ``path`` is None where no cgroup can be made."""

    def __init__(self, name: str, limit_mb: int) -> None:
        self.path: str | None = None
        self.limit_mb = limit_mb
        self.kind: str | None = None
        for kind, make in (("v1", self._v1), ("v2", self._v2)):
            try:
                path = make(name, limit_mb)
            except OSError:
                path = None
            if path:
                self.path, self.kind = path, kind
                self.sweep(os.path.dirname(path))
                return

    @staticmethod
    def _v1(name: str, limit_mb: int) -> str | None:
        base = "/sys/fs/cgroup/memory"
        own = _own_cgroup("memory")
        if own is None or not os.path.isdir(base):
            return None
        return _make_cgroup(os.path.join(base + own, name), [
            ("memory.limit_in_bytes", limit_mb << 20), ("memory.memsw.limit_in_bytes", limit_mb << 20)])

    @staticmethod
    def _v2(name: str, limit_mb: int) -> str | None:
        own = _own_cgroup(None)
        base = "/sys/fs/cgroup" + (own or "")
        if own is None or not os.path.isfile(os.path.join(base, "cgroup.subtree_control")):
            return None
        with open(os.path.join(base, "cgroup.subtree_control")) as fh:
            if "memory" not in fh.read().split():
                return None
        return _make_cgroup(os.path.join(base, name),
                            [("memory.max", limit_mb << 20), ("memory.swap.max", 0)])

    @staticmethod
    def sweep(parent: str) -> None:
        """Remove the cgroups of runs whose grader died before removing them."""
        try:
            names = os.listdir(parent)
        except OSError:
            return
        for name in names:
            parts = name.split("-")
            if parts[0] != "gradkit" or len(parts) != 3 or not parts[1].isdigit():
                continue
            if os.path.exists(f"/proc/{parts[1]}"):
                continue
            try:
                os.rmdir(os.path.join(parent, name))
            except OSError:
                pass

    def join(self) -> None:
        """Put the calling process (and so everything it starts) in the cgroup."""
        if self.path:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as fh:
                fh.write("0")

    def remove(self) -> None:
        path = self.path
        if not path:
            return
        import time
        for _ in range(100):
            try:
                os.rmdir(path)
                self.path = None
                return
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    self.path = None
                    return
                time.sleep(0.02)


def _make_cgroup(path: str, settings: list[tuple[str, int]]) -> str:
    """Create the cgroup at ``path`` and write ``settings`` ((file, value), the first one
    required: the memory cap; the rest, swap, only where the kernel has them)."""
    os.mkdir(path, 0o755)
    try:
        for i, (key, value) in enumerate(settings):
            try:
                with open(os.path.join(path, key), "w") as fh:
                    fh.write(str(value))
            except OSError:
                if i == 0:
                    raise
    except OSError:
        os.rmdir(path)
        raise
    return path
