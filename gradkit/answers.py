"""References that are answers, and how the student bundle does without them.

A check's reference computes the expected value; some references are themselves the
answer to the function they grade (the breadth-first walk behind ``grad_fn_names``, the SGD
loop, ``zero_grad`` as ``torch.optim`` does it), and some diagnoses compute a wrong answer
one small edit from the right one. In ``checks/`` such a function carries a marker:

- ``@answer("grad_fn_names")``: a reference. In the full kit it runs as written. In the
  student bundle its body is gone (``gradkit/bundle.py``): a call returns the value the real
  reference gave for the same arguments in the same check when the bundle was built
  (``checks/answers.json``, recorded from the fixed examples only: the worked examples and
  the other parametrized checks, never hypothesis's draws), and otherwise skips the check,
  saying it is graded in full by the instructor (which makes the function provisional).
- ``@kit_only``: a diagnosis builder. In the student bundle its body is gone and it
  returns no diagnoses (``[]``).

Values are stored as plain JSON (a tensor as dtype, shape, device and values).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import torch

KIT = Path(__file__).resolve().parent.parent
ANSWERS_FILE = "checks/answers.json"  # in the student bundle only

F = TypeVar("F", bound=Callable[..., Any])

_recording: dict[str, Any] | None = None
_loaded: dict[str, Any] | None = None


class Unrecordable(ValueError):
    """A value that is not plain data (an autograd graph, an object): not stored."""


def answer(function: str) -> Callable[[F], F]:
    """Mark a reference that is the answer to ``function`` (see the module's text)."""
    def mark(reference: F) -> F:
        ref_id = reference_id(reference)

        @functools.wraps(reference)
        def run(*args: Any, **kwargs: Any) -> Any:
            value = reference(*args, **kwargs)
            if _recording is not None and not _in_hypothesis():
                _record(ref_id, args, kwargs, value)
            return value
        run.answers = function  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]
    return mark


def kit_only(builder: F) -> F:
    """Mark a diagnosis builder whose wrong formulas are one small edit from an answer."""
    builder.kit_only = True  # type: ignore[attr-defined]
    return builder


def reference_id(reference: Callable[..., Any]) -> str:
    """``checks/<file>.py::<name>``: the same in the kit and in the bundle."""
    path = Path(reference.__code__.co_filename).resolve()
    try:
        rel = path.relative_to(KIT).as_posix()
    except ValueError:
        rel = path.name
    return f"{rel}::{reference.__name__}"


def _in_hypothesis() -> bool:
    from hypothesis.control import currently_in_test_context
    return currently_in_test_context()


def _current_check() -> str:
    """The running check's id as pytest names it (relative to the kit's root)."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return current.rsplit(" ", 1)[0] if current.endswith(")") else current


def key(ref_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    plain = json.dumps([_fingerprint(args), _fingerprint(kwargs)], sort_keys=True)
    digest = hashlib.sha256(plain.encode("utf-8")).hexdigest()[:32]
    return f"{ref_id} {_current_check()} {digest}"


def _fingerprint(value: Any) -> Any:
    """What identifies an argument: a tensor's dtype, shape, device and values (a graph's
    output by its values alone), other objects by their type."""
    if isinstance(value, torch.Tensor):
        return ["tensor", str(value.dtype), list(value.shape), value.device.type,
                value.detach().cpu().reshape(-1).tolist()]
    if isinstance(value, (list, tuple)):
        return [_fingerprint(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _fingerprint(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return ["object", type(value).__name__]


def encode(value: Any) -> Any:
    """``value`` as JSON data; Unrecordable when it is not plain data."""
    if isinstance(value, torch.Tensor):
        if value.requires_grad or value.is_sparse:
            raise Unrecordable("a tensor in a graph")
        return {"tensor": {"dtype": str(value.dtype).removeprefix("torch."),
                           "shape": list(value.shape), "device": value.device.type,
                           "values": value.detach().cpu().reshape(-1).tolist()}}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"set": [encode(v) for v in sorted(value)]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise Unrecordable(type(value).__name__)


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        if "tensor" in data:
            t = data["tensor"]
            return torch.tensor(t["values"], dtype=getattr(torch, t["dtype"]),
                                device=t["device"]).reshape(t["shape"])
        if "tuple" in data:
            return tuple(decode(v) for v in data["tuple"])
        if "set" in data:
            return {decode(v) for v in data["set"]}
        return {k: decode(v) for k, v in data["dict"].items()}
    return data


def _record(ref_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], value: Any) -> None:
    assert _recording is not None
    where = key(ref_id, args, kwargs)
    try:
        stored = encode(value)
    except Unrecordable:
        stored = None
    if where in _recording and _recording[where] != stored:
        stored = None  # two answers for one key: neither is trusted
    _recording[where] = stored


@contextlib.contextmanager
def recording() -> Iterator[dict[str, Any]]:
    """While open, every marked reference run outside hypothesis records its value."""
    global _recording
    found: dict[str, Any] = {}
    _recording = found
    try:
        yield found
    finally:
        _recording = None


def precomputed(ref_id: str, function: str, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
    """In the student bundle, in place of a reference: the value recorded for this call,
    else the check is skipped (graded in full by the instructor)."""
    global _loaded
    if _loaded is None:
        try:
            _loaded = json.loads((KIT / ANSWERS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _loaded = {}
    stored = _loaded.get(key(ref_id, args, kwargs))
    if stored is None:
        from gradkit.testing import withheld
        withheld(function)
    return decode(stored)
