"""Framed messages over a stream socket, with a deadline on the reading side."""

from __future__ import annotations

import selectors
import socket
import struct
import time
from typing import Any, Callable, Mapping

from . import wire


class ChannelClosed(ConnectionError):
    """The other side went away (it crashed, exited or was killed)."""


class ChannelTimeout(TimeoutError):
    """No complete answer arrived before the deadline."""


def send(sock: socket.socket, message: Mapping[str, Any]) -> None:
    frame = wire.encode(message)
    sock.sendall(struct.pack(">Q", len(frame)) + frame)


def recv(sock: socket.socket, timeout: float | None = None,
         device_map: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Read one message; raise ChannelTimeout, ChannelClosed or wire.WireError."""
    deadline = None if timeout is None else time.monotonic() + timeout
    (size,) = struct.unpack(">Q", _read_exactly(sock, 8, deadline))
    if size > wire.MAX_FRAME_BYTES + wire.MAX_HEADER_BYTES + 4:
        raise wire.WireError("wire.too_large", mb=wire.MAX_FRAME_BYTES >> 20)
    return wire.decode(_read_exactly(sock, size, deadline), device_map)


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
