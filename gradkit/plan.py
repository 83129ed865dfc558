"""The grading plan: the examples each property check draws, drawn once.

Grading is derandomized (checks/conftest.py): for one version of the kit, of hypothesis and
of torch, every property check draws the very same examples on every grading in which it
passes, whatever the submission. Drawing them (hypothesis interpreting the strategies, its
runner around every example) was a third of a correct grading's grader time. So the first
grading that passes a check records the examples its body was called with (the drawn
arguments, and each ``data.draw`` inside the body, in order); later gradings call the body
with those examples directly, each under hypothesis's own per-example seeding
(``deterministic_PRNG``), without hypothesis.

If every planned example passes, the check passes: exactly what hypothesis would have
found, having drawn the same examples. At the first example that does not pass (a failure,
an error, a skip, a draw the plan does not hold), the replay stops and hypothesis runs the
check as before, from its first example: the shrink budget's outcome cache
(gradkit/shrink_budget.py) was filled by the replay under the same keys, so the examples
already replayed get the outcomes the worker gave the first time (never a second call that
could answer otherwise), and the failure, its shrinking and its counterexample are
hypothesis's own.

A check is planned only when its recording is exact: the run passed, no body raised, the
seeded generators (torch's and ``random``'s) were untouched by the drawing, and every value
copies (and, for the file, encodes) exactly. Anything else is simply not planned and runs
under hypothesis every time.

Plans live in memory (a warm grader: batch workers, ``--watch``, notebooks, the kit's
tests) and in one file per kit version (``plan-<digest>.json``, the digest covering the
checks' and the engine's sources, hypothesis's, torch's and Python's versions and the
examples per check), beside the virtual environment or in the user's cache folder
(``GRADKIT_PLAN_DIR`` to choose; ``GRADKIT_PLAN=off`` turns plans off). The file holds
inputs only, never an answer, and is read only when it and its folder belong to the grader
and nobody else may write them (student code never runs as the grader's user, except at
isolation level "none", where it could rewrite the kit itself anyway).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fcntl
import functools
import hashlib
import inspect
import json
import os
import random
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import torch

from . import environment

KIT_DIR = Path(__file__).resolve().parent.parent


class Mismatch(BaseException):
    """The body asked for a draw the plan does not hold: hypothesis runs the check instead.
    A BaseException, so no check's ``except Exception`` can swallow it."""


class Unplannable(Exception):
    """A value that cannot be copied or written exactly."""


@functools.lru_cache(maxsize=1)
def _seeded_states() -> tuple[torch.Tensor, object]:
    """The states of torch's generator and of ``random`` right after hypothesis seeds them
    for an example (``deterministic_PRNG`` seeds every registered generator with 0)."""
    saved_torch, saved_random = torch.get_rng_state(), random.getstate()
    try:
        torch.default_generator.manual_seed(0)
        random.seed(0)
        return torch.get_rng_state(), random.getstate()
    finally:
        torch.set_rng_state(saved_torch)
        random.setstate(saved_random)


def _generators_untouched() -> bool:
    seeded_torch, seeded_random = _seeded_states()
    return random.getstate() == seeded_random and torch.equal(torch.get_rng_state(), seeded_torch)


# -- exact copies and an exact text form of the drawn values --------------------------------

def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.grad_fn is not None:
        raise Unplannable("a tensor with a graph")
    try:
        return copy.deepcopy(value)
    except Exception as exc:  # noqa: BLE001 - whatever cannot be copied is not planned
        raise Unplannable(str(exc)) from None


def encode(value: Any) -> Any:
    """``value`` as JSON, tagged so that ``decode`` gives back the same types and bits."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"int": str(value)} if abs(value) >= 2**53 else value
    if isinstance(value, float):
        return {"float": value.hex()}  # exact, NaN and infinities included
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, torch.dtype):
        return {"dtype": str(value).removeprefix("torch.")}
    if isinstance(value, torch.Tensor) and value.grad_fn is None and value.layout == torch.strided:
        data = value.detach().cpu().contiguous()
        return {"tensor": {"dtype": str(value.dtype).removeprefix("torch."),
                           "shape": list(value.shape), "device": str(value.device),
                           "requires_grad": value.requires_grad,
                           "bytes": base64.b64encode(data.reshape(-1).view(torch.uint8).numpy().tobytes()
                                                     if data.numel() else b"").decode()}}
    raise Unplannable(type(value).__name__)


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    (tag, inner), = value.items()
    if tag == "int":
        return int(inner)
    if tag == "float":
        return float.fromhex(inner)
    if tag == "tuple":
        return tuple(decode(v) for v in inner)
    if tag == "dict":
        return {k: decode(v) for k, v in inner.items()}
    if tag == "dtype":
        return getattr(torch, inner)
    if tag == "tensor":
        dtype = getattr(torch, inner["dtype"])
        raw = bytearray(base64.b64decode(inner["bytes"]))
        flat = (torch.frombuffer(raw, dtype=torch.uint8).view(dtype) if raw
                else torch.empty(0, dtype=dtype))
        tensor = flat.reshape(inner["shape"]).to(inner["device"]).clone()
        return tensor.requires_grad_(True) if inner["requires_grad"] else tensor
    raise Unplannable(f"unknown tag {tag!r}")


def _bits(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor's bytes (so that NaNs compare equal and -0.0 differs from 0.0)."""
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return flat.view(torch.uint8) if flat.numel() else flat


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (a tuple is not a list here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return (a.dtype == b.dtype and a.shape == b.shape and a.device == b.device
                and a.requires_grad == b.requires_grad
                and torch.equal(_bits(a), _bits(b)))
    if isinstance(a, float):
        return a.hex() == b.hex()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


# -- what a body is given in place of hypothesis's ``data`` --------------------------------

class _RecordingData:
    """hypothesis's ``data`` object, every draw also written down."""

    def __init__(self, data: Any, draws: list[tuple[Any, Any]]):
        self._data, self._draws = data, draws

    def draw(self, strategy: Any, label: Any = None) -> Any:
        value = self._data.draw(strategy, label=label)
        self._draws.append((label, _copy(value)))
        return value


class _ReplayData:
    """The draws of one planned example, handed out in the order they were made."""

    def __init__(self, draws: list[tuple[Any, Any]]):
        self._draws, self._next = draws, 0

    def draw(self, strategy: Any, label: Any = None) -> Any:
        if self._next >= len(self._draws) or self._draws[self._next][0] != label:
            raise Mismatch(label)
        value = self._draws[self._next][1]
        self._next += 1
        return copy.deepcopy(value)


class _Draws(list):
    """In a planned example: the ``data`` argument's draws (a list of (label, value))."""


# -- recording and replaying -----------------------------------------------------------

class _Recording:
    def __init__(self, drawn: tuple[str, ...]):
        self.drawn = drawn
        self.examples: list[dict[str, Any]] = []
        self.exact = True


class Plan:
    """The examples of every planned check this process knows, by pytest node id."""

    def __init__(self) -> None:
        self.examples: dict[str, list[dict[str, Any]]] = {}
        self.new: set[str] = set()  # recorded here and not yet in the file
        self.recording: _Recording | None = None
        self.file: Path | None = None
        self._file_state: tuple[int, int] | None = None
        # checks passed from the plan, handed over to hypothesis, recorded (for tests, bench)
        self.counts = {"replayed": 0, "handed_over": 0, "recorded": 0}

    # the file ------------------------------------------------------------------------

    def load(self) -> None:
        """Read this kit version's plan file, if there is a trustworthy one newer than what
        was read (cheap when nothing changed: one stat)."""
        if not enabled():
            return
        path = plan_file()
        if path != self.file:  # another kit version (sources edited): nothing known holds
            self.examples, self.new, self._file_state = {}, set(), None
        self.file = path
        if path is None or not _trusted(path):
            return
        st = path.stat()
        if self._file_state == (st.st_mtime_ns, st.st_size):
            return
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            for key, examples in stored.items():
                if key not in self.examples:
                    self.examples[key] = [_decode_example(e) for e in examples]
        except (OSError, ValueError, Unplannable, KeyError, TypeError):
            return  # a damaged file is ignored (and replaced by the next save)
        self._file_state = (st.st_mtime_ns, st.st_size)

    def save(self) -> None:
        """Add what this process recorded to the file (merged under a lock: several graders
        may write at once)."""
        if not self.new or self.file is None:
            return
        path = self.file
        encoded = {}
        for key in self.new:
            try:
                encoded[key] = [_encode_example(e) for e in self.examples[key]]
            except Exception:  # noqa: BLE001 - not exactly writable: planned in memory only
                continue
        self.new = set()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            with open(path.parent / ".lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                stored = {}
                if path.exists() and _trusted(path):
                    with contextlib.suppress(OSError, ValueError):
                        stored = json.loads(path.read_text(encoding="utf-8"))
                stored.update(encoded)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".plan-")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(stored, fh)
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
                for stale in path.parent.glob("plan-*.json"):  # other kit versions' plans
                    if stale != path:
                        stale.unlink(missing_ok=True)
        except OSError:
            return  # a read-only place: plans stay in memory

    # one check -----------------------------------------------------------------------

    def run(self, key: str | None, hypothesis_test: Callable[[], Any],
            body: Callable[[dict[str, Any]], Any], drawn: tuple[str, ...]) -> Any:
        """Run one parametrization of a property check: from the plan when there is one,
        else through ``hypothesis_test`` (recording the plan when it passes)."""
        if key is None or not enabled():
            return hypothesis_test()
        planned = self.examples.get(key)
        if planned is not None:
            if _replay(planned, body):
                self.counts["replayed"] += 1
                return None
            from .shrink_budget import BUDGET
            BUDGET.after_replay()  # outcomes kept; hypothesis starts fresh otherwise
            self.counts["handed_over"] += 1
            return hypothesis_test()
        self.recording = recording = _Recording(drawn)
        try:
            result = hypothesis_test()
        finally:
            self.recording = None
        if recording.exact:
            self.examples[key] = recording.examples
            self.new.add(key)
            self.counts["recorded"] += 1
        return result

    def record(self, kwargs: dict[str, Any]) -> None:
        """Called at the start of a body run by hypothesis: write this example down (the
        ``data`` argument is swapped for one that writes down its draws)."""
        recording = self.recording
        if recording is None or not recording.exact:
            return
        try:
            if not _generators_untouched():
                raise Unplannable("the drawing used a seeded generator")
            example: dict[str, Any] = {}
            for name in recording.drawn:
                value = kwargs[name]
                if type(value).__name__ == "DataObject":
                    draws = _Draws()
                    kwargs[name] = _RecordingData(value, draws)
                    example[name] = draws
                else:
                    example[name] = _copy(value)
            recording.examples.append(example)
        except Exception:  # noqa: BLE001 - whatever goes wrong here only means: not planned
            recording.exact = False

    def spoil(self) -> None:
        """The body running now raised: this check's recording is not a plan."""
        if self.recording is not None:
            self.recording.exact = False


PLAN = Plan()


def _replay(planned: list[dict[str, Any]], body: Callable[[dict[str, Any]], Any]) -> bool:
    """Run ``body`` on every planned example; True when each of them passed."""
    from hypothesis.internal.entropy import deterministic_PRNG

    from .shrink_budget import BUDGET
    for index, example in enumerate(planned):
        kwargs = {name: _ReplayData(value) if isinstance(value, _Draws) else copy.deepcopy(value)
                  for name, value in example.items()}
        try:
            with deterministic_PRNG(), BUDGET.replaying(index):
                body(kwargs)
        except Exception:  # noqa: BLE001 - a failure of any kind: hypothesis decides
            return False
        except Mismatch:
            return False
    return True


def _encode_example(example: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in example.items():
        if isinstance(value, _Draws):
            out[name] = {"draws": [[encode(label), encode(v)] for label, v in value]}
        else:
            out[name] = {"value": encode(value)}
        if not _same(_decode_example({name: out[name]})[name], value):
            raise Unplannable(f"{name} does not survive its text form")
    return out


def _decode_example(stored: dict[str, Any]) -> dict[str, Any]:
    example: dict[str, Any] = {}
    for name, entry in stored.items():
        if "draws" in entry:
            example[name] = _Draws((decode(label), decode(v)) for label, v in entry["draws"])
        else:
            example[name] = decode(entry["value"])
    return example


# -- the hook in ``gradkit.testing.given`` ---------------------------------------------

def recorded(check: Callable[..., Any], drawn: tuple[str, ...]) -> Callable[..., Any]:
    """``check`` as hypothesis should call it: each example written down while recording."""
    signature = inspect.signature(check)

    @functools.wraps(check)
    def body(*args: Any, **kwargs: Any) -> Any:
        if PLAN.recording is None:
            return check(*args, **kwargs)
        named = dict(signature.bind(*args, **kwargs).arguments)  # hypothesis passes some by position
        PLAN.record(named)
        try:
            return check(**named)
        except BaseException:
            PLAN.spoil()
            raise

    body.__signature__ = signature  # type: ignore[attr-defined]
    return body


_CALLS: dict[str, int] = {}  # hypothesis runs so far in the check pytest is running now


def check_key(seed: bytes) -> str | None:
    """The plan's key of the hypothesis run starting now: the node id of the check pytest is
    running, which of that check's runs this is (a test may run several), and the
    derandomized seed (which follows an edit of the check: gradkit.testing); None outside a
    check's call."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    if not current.endswith(" (call)"):
        return None
    node = current.rsplit(" (", 1)[0]
    if node not in _CALLS:
        _CALLS.clear()
    _CALLS[node] = _CALLS.get(node, 0) + 1
    return f"{node} #{_CALLS[node]} {seed.hex()[:32]}"


def new_check() -> None:
    """pytest is setting up a check: its runs are counted from one again."""
    _CALLS.clear()


# -- where the file is, and whether to trust it ----------------------------------------------

def enabled() -> bool:
    return os.environ.get("GRADKIT_PLAN", "on").strip().lower() not in ("off", "0", "no")


_DIGEST: tuple[Any, str] | None = None


def digest() -> str:
    """What the drawn examples depend on: the checks' and the engine's sources (hidden
    checks included), the versions of hypothesis, torch and Python (major.minor), the
    examples per check.
    Hashed again only when a source file's size or time changed (an instructor editing
    checks beside a warm grader)."""
    global _DIGEST
    import hypothesis

    from .testing import examples_per_check
    sources = [path for folder in (KIT_DIR / "checks", KIT_DIR / "gradkit")
               for path in sorted(folder.rglob("*.py"))]
    python = "{}.{}".format(*sys.version_info[:2])  # a patch release draws the same examples
    versions = f"{hypothesis.__version__} {torch.__version__} {python} {examples_per_check()}"
    stamp = (versions, [(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sources])
    if _DIGEST is None or _DIGEST[0] != stamp:
        hasher = hashlib.sha256()
        for path in sources:
            hasher.update(str(path.relative_to(KIT_DIR)).encode() + b"\0" + path.read_bytes())
        hasher.update(versions.encode())
        _DIGEST = (stamp, hasher.hexdigest()[:24])
    return _DIGEST[1]


def plan_folder() -> Path:
    chosen = os.environ.get("GRADKIT_PLAN_DIR")
    if chosen:
        return Path(chosen)
    if sys.prefix != sys.base_prefix:  # a virtual environment: beside it
        return Path(sys.prefix) / "gradkit-plan"
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "gradkit" / "plan"


def plan_file() -> Path | None:
    try:
        return plan_folder() / f"plan-{digest()}.json"
    except OSError:
        return None


def _trusted(path: Path) -> bool:
    """The file and its folder are this user's, and nobody else may write them."""
    try:
        for node in (path.parent, path):
            st = node.stat()
            if st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def disabled() -> contextlib.AbstractContextManager[None]:
    """No plan for what runs inside (the kit's tests compare gradings with and without)."""
    return environment.variable("GRADKIT_PLAN", "off")
