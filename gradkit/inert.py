"""Student-controlled text made inert before any report shows it.

A student writes file names, exception messages, printed output and return values
that end up in the terminal, JSON, HTML, JUnit, Gradescope, PrairieLearn and CSV
outputs. None of that text may act on the reader: no terminal escapes (clear screen,
colours, window titles, hyperlinks), no bidirectional overrides that reorder what a
reader sees, no characters XML forbids, no spreadsheet formulas, and no path of the
grader's own scratch folders. Every reporter passes student text through here.
"""

from __future__ import annotations

import os
import re
import unicodedata

# CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences,
# and the 8-bit C1 forms of CSI/OSC.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI: colours, cursor moves, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"   # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]"                   # other Fe escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"           # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
)
# Bidirectional controls (embeddings, overrides, isolates, marks) and other invisible
# format characters that change how text reads without being seen.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Of the invisible format characters (category Cf: zero-width spaces, word joiners, tag
# characters, soft hyphens...), only the joiners some scripts need are kept.
_JOINERS = frozenset("\u200c\u200d")
# Line and paragraph separators end a line in some readers and not in others.
_SEPARATORS = {"\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
# A CSV cell starting with one of these is read as a formula by spreadsheets (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The grader's scratch folders (tempfile.mkdtemp(prefix="gradkit-"), "gradkit-batch-",
# "gradkit-dask-"), wherever they are, and whatever follows them in a path.
_SCRATCH = re.compile(r"(?:/[^\s/'\"]+)*/gradkit-[\w.-]+(?:/[^\s'\":]*)?")
# The kit's own folder: where the checks and the withheld references live.
_KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_PLAIN = re.compile(r"[ -~\n\t]*\Z")


def _keep(ch: str) -> bool:
    if ch in "\n\t":
        return True
    if ch in _BIDI:
        return False
    category = unicodedata.category(ch)
    if category == "Cf":
        return ch in _JOINERS
    # Cc: C0/C1 controls (incl. DEL); Cs: lone surrogates (not valid in UTF-8 or XML);
    # Co/Cn: private use and unassigned, which XML 1.0 allows but terminals render oddly
    # only sometimes, so they are kept.
    if category in ("Cc", "Cs"):
        return False
    return ch not in ("\ufffe", "\uffff")  # not characters at all, and illegal in XML


def text(value: object, paths: bool = False) -> str:
    """``value`` as a string with escapes, control, bidi and invisible format characters
    removed, and (unless ``paths``: a path the grader itself chose, like a submission's
    folder) the grader's scratch folders replaced by ``<scratch>`` and its own folder by
    ``<kit>``. Newlines and tabs stay."""
    s = value if type(value) is str else str.__str__(value) if isinstance(value, str) else str(value)
    if _PLAIN.match(s) and (paths or ("/gradkit-" not in s and _KIT not in s)):
        return s  # printable ASCII with no path to hide: most texts, at no cost
    s = s.replace("\r\n", "\n")
    for separator, newline in _SEPARATORS.items():
        s = s.replace(separator, newline)
    s = _ESCAPES.sub("", s)
    s = "".join(ch if _keep(ch) else "" for ch in s)
    if paths:
        return s
    s = _SCRATCH.sub("<scratch>", s)
    return s.replace(_KIT + os.sep, "<kit>" + os.sep) if len(_KIT) > 1 else s


def line(value: object, paths: bool = False) -> str:
    """Like ``text``, on one line: newlines and tabs become spaces (names, CSV cells)."""
    return re.sub(r"[\n\t]+", " ", text(value, paths))


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: inert, one line, and a leading formula
    character neutralised with a quote (OWASP's CSV-injection advice)."""
    s = line(value)
    return "'" + s if s.startswith(_FORMULA_START) else s


def deep(value: object) -> object:
    """``text`` applied to every string inside nested lists, tuples and dicts (keys too)."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {deep(k): deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (tuple if isinstance(value, tuple) else list)(deep(v) for v in value)
    return value
