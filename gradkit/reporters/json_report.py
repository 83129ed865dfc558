"""The machine-readable result: the results model as JSON, written atomically."""

from __future__ import annotations

import json
import os
import tempfile

from ..results import GradeResult


def render(result: GradeResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


def write(result: GradeResult, path: str) -> None:
    write_text(render(result), path)


def write_text(text: str, path: str) -> None:
    """Write via a temporary file and a rename, so a reader never sees half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # A fresh private file (O_EXCL, never a link someone planted), then a rename: no
    # folder's mode is ever touched, and whatever was at ``path`` is replaced, not followed.
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
