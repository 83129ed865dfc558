"""Pickle-free encoding of values that cross the grader/worker boundary.

A frame is: 4-byte big-endian header length, a UTF-8 JSON header, then the raw
bytes of every tensor in the order the header lists them. Only plain data
survives the trip: None, bool, int, float, str, list, tuple, dict with str keys
and dense tensors (dtype, shape, device, bytes). Anything else is refused with
a message a student can act on, and every size is capped so a submission that
returns junk costs its own check and nothing more.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import math
import re
import struct
from typing import Any, Callable, Iterator, Mapping

import torch

# Answers are a few small tensors (the largest: a few thousand elements): 8 MB is
# ample and keeps a runaway answer cheap for the grader.
MAX_FRAME_BYTES = 8 * 1024 * 1024
MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_ITEMS = 10_000
MAX_DEPTH = 8
MAX_STR = 100_000

DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
# Integers cross only in int64's range: a larger one is no answer of any contract, and
# the grader's own arithmetic on it (float(), torch.tensor()) would fail in the grader.
INT_LIMIT = 2**63

# A tensor's facts read through torch's own C descriptors, bound at import (before any
# student code): a subclass or a patched class cannot make a tensor report another device.
_BASE = vars(torch._C.TensorBase)
_DEVICE, _DTYPE, _SHAPE, _LAYOUT, _REQUIRES_GRAD, _GRAD_FN = (
    _BASE[name].__get__ for name in ("device", "dtype", "shape", "layout", "requires_grad", "grad_fn"))
_DETACH = _BASE["detach"]
_NO_TORCH_FUNCTION = torch._C.DisableTorchFunction
_BLAKE2B = hashlib.blake2b


class WireError(ValueError):
    """A value that cannot cross the boundary. ``key``/``params`` name the
    catalog message a student reads; ``str()`` is its English text."""

    def __init__(self, key: str, **params: Any) -> None:
        from ..i18n import text
        self.key, self.params = key, params
        super().__init__(text(key, "en", **params))

    def student_text(self) -> str:
        from ..i18n import text
        return text(self.key, **self.params)


def type_name(value: object) -> str:
    """The refused value's type, qualified, so a subclass of float says what it is."""
    return f"{type(value).__module__}.{type(value).__qualname__}"


class _Encoder:
    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.size = 0
        self.items = 0

    def encode(self, value: Any, depth: int = 0) -> Any:  # JSON-ready
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError("wire.too_many", n=MAX_ITEMS)
        if depth > MAX_DEPTH:
            raise WireError("wire.too_deep", n=MAX_DEPTH)
        # bool before int: bool is a subclass of int.
        if value is None or type(value) is bool or type(value) is str:
            if type(value) is str and len(value) > MAX_STR:
                raise WireError("wire.long_string")
            return value
        if type(value) is int:
            if not -INT_LIMIT <= value < INT_LIMIT:
                raise WireError("wire.big_int")
            return {"t": "int", "v": str(value)} if abs(value) > 2**53 else value
        if type(value) is float:
            return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
        if type(value) in (list, tuple):
            enc = [self.encode(v, depth + 1) for v in value]
            return {"t": type(value).__name__, "v": enc}
        if type(value) is dict:
            if not all(type(k) is str for k in value):
                raise WireError("wire.dict_keys")
            return {"t": "dict", "v": {k: self.encode(v, depth + 1) for k, v in value.items()}}
        # Exactly a tensor (or a Parameter, whose data is taken out as a plain tensor):
        # a subclass could answer any question about itself, and the grader asks many.
        if type(value) is torch.Tensor or type(value) is torch.nn.Parameter:
            with _NO_TORCH_FUNCTION():
                return self._tensor(value)
        raise WireError("wire.type", type=type_name(value))

    def _tensor(self, t: torch.Tensor) -> dict[str, Any]:
        layout, dtype, shape = _LAYOUT(t), _DTYPE(t), tuple(_SHAPE(t))
        requires_grad, has_grad_fn = bool(_REQUIRES_GRAD(t)), _GRAD_FN(t) is not None
        device = str(_DEVICE(t))
        if layout != torch.strided:
            raise WireError("wire.layout", layout=str(layout))
        if dtype not in DTYPE_NAMES:
            raise WireError("wire.dtype", dtype=str(dtype))
        # Refuse before copying: an expanded view may be far larger than its storage.
        itemsize = torch.empty((), dtype=dtype).element_size()
        if self.size + math.prod(shape) * itemsize > MAX_FRAME_BYTES:
            raise WireError("wire.too_large", mb=MAX_FRAME_BYTES >> 20)
        try:
            data = _read(t)
        except Exception as exc:  # a tensor torch can hold but not copy to the CPU
            raise WireError("wire.unreadable", detail=f"{type(exc).__name__}: {str(exc)[:300]}") from exc
        self.size += len(data)
        self.blobs.append(data)
        return {
            "t": "tensor",
            "dtype": DTYPE_NAMES[dtype],
            "shape": list(shape),
            "device": device,
            "requires_grad": requires_grad,
            "has_grad_fn": has_grad_fn,
            "blob": len(self.blobs) - 1,
        }


# The tensors read inside a ``reading_once`` block: id -> (the tensor, held so that its id
# is not another's, and its bytes).
_READ: contextvars.ContextVar[dict[int, tuple[torch.Tensor, bytes]] | None] = \
    contextvars.ContextVar("gradkit_wire_read", default=None)


@contextlib.contextmanager
def reading_once() -> Iterator[None]:
    """Within the block, each tensor's bytes are read once however often it is encoded or
    hashed: the grader encodes a call's arguments for the shrink budget's key and for the
    request, and hashes them to check what the worker says of them after the call. Only for
    the grader's own tensors, which nothing changes inside the block; a block inside another
    is the same block."""
    if _READ.get() is not None:
        yield
        return
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def _read(t: torch.Tensor) -> bytes:
    """``_bytes`` of the tensor, from this ``reading_once`` block's memory where it was read."""
    memory = _READ.get()
    if memory is None:
        return _bytes(_DETACH(t))
    seen = memory.get(id(t))
    if seen is not None and seen[0] is t:
        return seen[1]
    data = _bytes(_DETACH(t))
    memory[id(t)] = (t, data)
    return data


def _bytes(t: torch.Tensor) -> bytes:
    """The values of any strided tensor, in row-major order: a fresh dense copy, so
    no stride (a size-1 dimension with stride 2, an expanded or transposed view),
    conjugate or negative bit, or graph reaches the byte view."""
    flat = t.detach().to("cpu")
    if flat.is_conj():
        flat = flat.resolve_conj()
    if flat.is_neg():
        flat = flat.resolve_neg()
    flat = torch.empty(flat.shape, dtype=flat.dtype).copy_(flat).reshape(-1)
    if flat.numel() == 0:
        return b""
    return flat.view(torch.uint8).numpy().tobytes()


def digest(t: torch.Tensor) -> str:
    """A tensor's dtype, shape and values (its bytes as ``encode`` sends them), hashed. The
    worker sends this of each input after the call instead of the input itself; the grader
    hashes what it sent the same way and decides itself whether the input was changed."""
    with _NO_TORCH_FUNCTION():
        head = f"{DTYPE_NAMES.get(_DTYPE(t), _DTYPE(t))}{tuple(_SHAPE(t))}".encode()
        data = _read(t)
    return _BLAKE2B(head + b"|" + data, digest_size=16).hexdigest()


def encode(message: Mapping[str, Any]) -> bytes:
    """Encode a message (a dict of plain values) into one frame."""
    enc = _Encoder()
    body = {k: enc.encode(v) for k, v in message.items()}
    header = json.dumps({"body": body, "blobs": [len(b) for b in enc.blobs]},
                        ensure_ascii=True, allow_nan=False).encode()
    if len(header) > MAX_HEADER_BYTES:
        raise WireError("wire.too_large", mb=MAX_FRAME_BYTES >> 20)
    return struct.pack(">I", len(header)) + header + b"".join(enc.blobs)


class TensorMeta:
    """Facts about a returned tensor that the decoded copy cannot carry."""

    __slots__ = ("device", "requires_grad", "has_grad_fn")

    def __init__(self, device: str, requires_grad: bool, has_grad_fn: bool) -> None:
        self.device, self.requires_grad, self.has_grad_fn = device, requires_grad, has_grad_fn


class _Decoder:
    def __init__(self, blobs: list[memoryview], device_map: Callable[[str], str] | None) -> None:
        self.blobs = blobs
        self.device_map = device_map

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH + 2:
            raise WireError("wire.malformed", detail="nested too deep")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or "t" not in node:
            raise WireError("wire.malformed", detail="bad structure")
        kind = node["t"]
        if kind == "int":
            value = int(_expect(node["v"], str)) if len(node["v"]) <= 20 else INT_LIMIT
            if not -INT_LIMIT <= value < INT_LIMIT:
                raise WireError("wire.big_int")
            return value
        if kind == "float":
            if node["v"] not in ("nan", "inf", "-inf"):
                raise WireError("wire.malformed", detail="bad float")
            return float(node["v"])
        if kind in ("list", "tuple"):
            items = [self.decode(v, depth + 1) for v in _expect(node["v"], list)]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            return {str(k): self.decode(v, depth + 1) for k, v in _expect(node["v"], dict).items()}
        if kind == "tensor":
            return self._tensor(node)
        raise WireError("wire.malformed", detail=f"unknown kind {kind!r}")

    def _tensor(self, node: Any) -> torch.Tensor:  # a dict, as the sender wrote it
        dtype = DTYPES.get(node.get("dtype"))
        shape = _expect(node.get("shape"), list)
        blob = _expect(node.get("blob"), int)
        if dtype is None or not all(type(s) is int and s >= 0 for s in shape):
            raise WireError("wire.malformed", detail="bad tensor header")
        if not 0 <= blob < len(self.blobs):
            raise WireError("wire.malformed", detail="bad blob index")
        data = self.blobs[blob]
        itemsize = torch.empty((), dtype=dtype).element_size()
        if len(data) != math.prod(shape) * itemsize:
            raise WireError("wire.malformed", detail="tensor size does not match its shape")
        flat = torch.frombuffer(bytearray(data), dtype=torch.uint8) if len(data) else \
            torch.empty(0, dtype=torch.uint8)
        t = flat.view(dtype).reshape(shape)
        device = node.get("device", "cpu")
        if type(device) is not str or not known_device(device):
            raise WireError("wire.device", device=str(device)[:40])
        target = self.device_map(device) if self.device_map else device
        if target != "cpu":
            t = t.to(target)
        # Tensors accept attributes: the sender's facts travel with the copy.
        t.gk_meta = TensorMeta(device, bool(node.get("requires_grad")),  # type: ignore[attr-defined]
                               bool(node.get("has_grad_fn")))
        return t


_CUDA_DEVICE = re.compile(r"cuda:([0-9]{1,3})")


def known_device(name: str) -> bool:
    """Whether ``name`` is how torch names a device of this machine ("cpu", "cuda:N"):
    a tensor may come back on any of them (the wrong one is a wrong answer, said so),
    never on a device that is not there."""
    if name == "cpu":
        return True
    match = _CUDA_DEVICE.fullmatch(name)
    return match is not None and int(match[1]) < torch.cuda.device_count()


def _expect(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise WireError("wire.malformed", detail="bad structure")
    return value


def decode(frame: bytes, device_map: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Decode one whole frame into its message.

    Every decoded tensor carries ``gk_meta``: the facts the sender reported
    about it (its device, ``requires_grad``, whether it had a ``grad_fn``).
    ``device_map`` says where to put a tensor the sender had on a given device.
    """
    if len(frame) < 4:
        raise WireError("wire.malformed", detail="too short")
    (hlen,) = struct.unpack(">I", frame[:4])
    if hlen > MAX_HEADER_BYTES or 4 + hlen > len(frame):
        raise WireError("wire.malformed", detail="bad header length")
    try:
        header = json.loads(frame[4:4 + hlen].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError("wire.malformed", detail="header is not JSON") from exc
    if type(header) is not dict:
        raise WireError("wire.malformed", detail="bad structure")
    sizes = _expect(header.get("blobs"), list)
    view = memoryview(frame)[4 + hlen:]
    if not all(type(s) is int and s >= 0 for s in sizes) or sum(sizes) != len(view):
        raise WireError("wire.malformed", detail="blob sizes do not add up")
    blobs, pos = [], 0
    for s in sizes:
        blobs.append(view[pos:pos + s])
        pos += s
    dec = _Decoder(blobs, device_map)
    body = _expect(header.get("body"), dict)
    try:
        return {k: dec.decode(v) for k, v in body.items()}
    except WireError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RecursionError,
            RuntimeError) as exc:  # a frame no honest encoder writes: the sender's fault
        raise WireError("wire.malformed", detail=type(exc).__name__) from None
