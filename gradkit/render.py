"""Turning drawn graphs into SVG with graphviz's ``dot``, safely.

The student's graph is drawn in the worker, so its DOT source is untrusted:
DOT can name image files to embed (``image=``, ``shapefile=``) or use HTML
labels. Only the shapes torchviz and the fallback writer produce are accepted:
a whitelist of attributes, plain quoted labels, nothing else.
"""

from __future__ import annotations

import re
import shutil
import subprocess

ALLOWED_KEYS = {"label", "fillcolor", "style", "dir", "size", "align", "fontname", "fontsize",
                "height", "ranksep", "shape"}
_QUOTED = re.compile(r'"[^"\\]*"')
_TOKENS = re.compile(r'(?:digraph|graph|node|->|[{}\[\]=,;]|[\w.]+|\s+)*')
MAX_DOT = 100_000


def dot_available() -> bool:
    return shutil.which("dot") is not None


def safe(source: str) -> bool:
    """Is ``source`` a plain autograd picture, with nothing that reads files or runs markup?"""
    if not source or len(source) > MAX_DOT or "\\" in source or "<" in source:
        return False
    bare = _QUOTED.sub('""', source)
    if '"' in bare.replace('""', ""):
        return False
    bare = bare.replace('""', "q")
    if not _TOKENS.fullmatch(bare):
        return False
    return all(key in ALLOWED_KEYS for key in re.findall(r"(\w+)\s*=", bare))


def svg(source: str, timeout: float = 10.0) -> str | None:
    """The picture as inline SVG, or None (no ``dot``, an unsafe or broken source)."""
    if not dot_available() or not safe(source):
        return None
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = done.stdout.decode("utf-8", "replace")
    start = out.find("<svg")
    return out[start:] if done.returncode == 0 and start >= 0 else None
