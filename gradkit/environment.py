"""One environment variable set for the length of a block, then put back as it was."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator


@contextlib.contextmanager
def variable(name: str, value: str) -> Iterator[None]:
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved
