"""The one catalog of student-facing text, in English and 中文.

``gradkit/texts/`` holds it: ``messages.toml`` (checks, errors, reports),
``misconceptions.toml`` (named mistakes, by stable id) and ``hints.toml``
(progressive hints per function). Code asks for text by key; the language is
chosen once per run (``--lang``, else ``GRADKIT_LANG``, else the locale).
"""

from __future__ import annotations

import functools
import locale
import os
import sys
from typing import Any
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as the tomli package (a marked dependency)
    import tomli as tomllib

LANGS = ("en", "zh")
TEXTS = Path(__file__).resolve().parent / "texts"

_current = "en"


@functools.cache
def _load(name: str) -> dict[str, Any]:
    with open(TEXTS / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


def messages() -> dict[str, Any]:
    return _load("messages")


def misconceptions() -> dict[str, Any]:
    return _load("misconceptions")


def all_hints() -> dict[str, Any]:
    return _load("hints")


def detect(explicit: str | None = None) -> str:
    """``explicit`` (--lang), else GRADKIT_LANG, else the locale's language, else English."""
    for candidate in (explicit, os.environ.get("GRADKIT_LANG")):
        if candidate:
            lang = candidate.lower()[:2]
            if lang not in LANGS:
                raise ValueError(f"unknown language {candidate!r}; choose one of {', '.join(LANGS)}")
            return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    found = locale.getlocale()[0] or ""
    return "zh" if found.lower().startswith("zh") else "en"


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    _current = lang


def language() -> str:
    return _current


def text(key: str, lang: str | None = None, **params: object) -> str:
    """The message ``key`` in ``lang`` (default: the run's language), filled in."""
    return messages()[key][lang or _current].format(**params)


def misconception(mid: str, lang: str | None = None) -> str:
    return misconceptions()[mid][lang or _current]


def known_misconception(mid: str) -> str:
    """``mid`` itself, after making sure the catalog explains it (checks call this at
    import, so a misspelt id fails the kit's tests, not a student's run)."""
    if mid not in misconceptions():
        raise KeyError(f"misconception {mid!r} is not in gradkit/texts/misconceptions.toml")
    return mid


def hints(function: str, lang: str | None = None) -> list[str]:
    entry = all_hints().get(function) or {}
    return list(entry.get(lang or _current, []))
