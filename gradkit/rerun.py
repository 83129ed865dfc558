"""`gradkit check --watch`: grade again whenever a file of the submission changes."""

from __future__ import annotations

import os
import time

POLL_S = 0.5


def snapshot(folder: str) -> dict[str, float]:
    """The modification time of every .py file under ``folder``."""
    stamps = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                try:
                    stamps[path] = os.stat(path).st_mtime_ns
                except OSError:
                    pass
    return stamps


def changed(before: dict, after: dict) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def watch(folder: str, grade_once, announce, rounds: int | None = None) -> None:
    """Call ``grade_once()`` now and after every change under ``folder``, until
    Ctrl-C (or ``rounds`` gradings, for tests); ``announce(files)`` says why."""
    done = 0
    stamps = snapshot(folder)
    grade_once()
    done += 1
    try:
        while rounds is None or done < rounds:
            time.sleep(POLL_S)
            now = snapshot(folder)
            files = changed(stamps, now)
            if files:
                stamps = now
                announce(files)
                grade_once()
                done += 1
    except KeyboardInterrupt:
        pass
