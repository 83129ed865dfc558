"""Ending a `python -m gradkit` run without the interpreter's slow teardown.

After the results are written, a normal exit still frees torch's, hypothesis's and the
checks' modules one object at a time and runs a last garbage collection: one to two seconds
of wall time in which nothing happens that anybody reads. ``finish`` does what matters of an
exit (the atexit handlers: temporary folders, the zygote; flushed output) and then ends the
process at once.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def finish(code: int) -> NoReturn:
    """Exit with ``code``: at once when this is the only thread (the atexit handlers run,
    output is flushed), else as usual (another thread's work would be cut short)."""
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or gone (a reader that quit): nothing to lose
            pass
    os._exit(code)
