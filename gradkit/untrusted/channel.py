"""Framed messages over a stream socket, with a deadline on the reading side.

A worker's replies are signed: each frame starts with an HMAC-SHA256 tag over the
request's sequence number and the frame, keyed by a secret the grader made for that
worker and handed over before any student code existed (``sign``/``recv(key=...)``).
Student code shares the worker's process, so it can find the socket by descriptor
number and write to it, but a frame it writes carries no valid tag, and a frame the
harness signed cannot be altered or replayed for another request.
"""

from __future__ import annotations

import hmac
import selectors
import socket
import struct
import time
from typing import Any, Callable, Mapping

from . import wire

TAG_BYTES = 32  # HMAC-SHA256


class ChannelClosed(ConnectionError):
    """The other side went away (it crashed, exited or was killed)."""


class ChannelTimeout(TimeoutError):
    """No complete answer arrived before the deadline."""


class ChannelForged(ConnectionError):
    """A reply the worker's harness did not sign for this request, or bytes that arrived
    when no reply was due: the student's code wrote to the grader's channel."""


def send(sock: socket.socket, message: Mapping[str, Any]) -> None:
    frame = wire.encode(message)
    sock.sendall(struct.pack(">Q", len(frame)) + frame)


def sign(key: bytes, seq: int, frame: bytes) -> bytes:
    """The tag of a reply frame (the grader's side; the worker computes the same with the
    C function directly, so the key never enters a Python frame but its loop's)."""
    return hmac.digest(key, seq.to_bytes(8, "big") + frame, "sha256")


def recv(sock: socket.socket, timeout: float | None = None,
         device_map: Callable[[str], str] | None = None, *, key: bytes | None = None,
         seq: int = 0) -> dict[str, Any]:
    """Read one message; raise ChannelTimeout, ChannelClosed, ChannelForged (``key``
    given: a frame without the worker's tag for request ``seq``) or wire.WireError."""
    deadline = None if timeout is None else time.monotonic() + timeout
    (size,) = struct.unpack(">Q", _read_exactly(sock, 8, deadline))
    if size > wire.MAX_FRAME_BYTES + wire.MAX_HEADER_BYTES + 4 + TAG_BYTES:
        if key is not None:  # the harness caps what it encodes: these are someone else's bytes
            raise ChannelForged()
        raise wire.WireError("wire.too_large", mb=wire.MAX_FRAME_BYTES >> 20)
    data = _read_exactly(sock, size, deadline)
    if key is not None:
        tag, data = data[:TAG_BYTES], data[TAG_BYTES:]
        if not hmac.compare_digest(tag, sign(key, seq, data)):
            raise ChannelForged()
    return wire.decode(data, device_map)


def pending(sock: socket.socket) -> bool:
    """Whether bytes are waiting that nobody asked for (checked when no reply is due)."""
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return False


def _read_exactly(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    buf = bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_READ)
        while len(buf) < n:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise ChannelTimeout()
            if not sel.select(remaining):
                raise ChannelTimeout()
            chunk = sock.recv(min(n - len(buf), 1 << 20))
            if not chunk:
                raise ChannelClosed()
            buf += chunk
    return bytes(buf)
