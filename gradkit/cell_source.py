"""A topic module written from the functions a notebook defined.

A notebook keeps the student's functions in its kernel, not in ``exercises/``. To be
graded exactly as a file is (same sandbox, same checks), each topic's functions are
written out as ``<topic>.py``: the stub's own imports, then everything the functions
need from the notebook (modules, helper functions and classes, plain constants), then
the functions themselves. A definition's source comes from ``inspect.getsource`` (the
kernel keeps each cell in ``linecache``, Colab's included) or, where that fails (code
run with ``exec``, an old front end), from the latest cell in the history (``In``)
that defines it.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import textwrap
import types
from pathlib import Path
from typing import Any, Iterator, Mapping

from . import catalog

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"
SCALARS = (int, float, complex, bool, str, bytes, type(None))


class SourceNotFound(LookupError):
    """A function is in the namespace but its source cannot be found anywhere."""


def defined(namespace: Mapping[str, Any], topic: str) -> list[str]:
    """The functions of ``topic`` the namespace defines (in catalog order)."""
    return [fn.name for fn in catalog.topic(topic).functions
            if isinstance(namespace.get(fn.name), types.FunctionType)]


def stub_imports(topic: str) -> list[str]:
    """The import lines of the stub ``exercises/<topic>.py`` (``import torch``)."""
    path = EXERCISES / f"{topic}.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except OSError:  # a kit without exercises/: torch is what every stub imports
        return ["import torch"]
    return [ast.unparse(node) for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))]


def module_source(namespace: Mapping[str, Any], topic: str) -> str | None:
    """``<topic>.py`` as the notebook defines it, or None when it defines none of the
    topic's functions. Raises SourceNotFound naming a function without a source."""
    names = defined(namespace, topic)
    if not names:
        return None
    imports = stub_imports(topic)
    parts: dict[str, str] = {}  # name -> its definition, in the order they are needed
    pending = list(names)
    while pending:
        name = pending.pop(0)
        if name in parts:
            continue
        value = namespace[name]
        # A graded function is always written from its source, never imported from where
        # the notebook got it (exercises/ is not in the sandbox).
        line = None if name in names else _import_line(name, value) or _constant_line(name, value)
        if line is not None:
            parts[name] = line
            continue
        source = definition_source(namespace, name)
        if source is None:
            if name in names:
                raise SourceNotFound(name)
            continue  # a helper we cannot write: the graded code says NameError itself
        parts[name] = source
        pending += [n for n in sorted(_globals_used(value, source)) if n in namespace
                    and n not in parts and not hasattr(builtins, n)]
    header = f'"""{topic}: written by gradkit from the functions a notebook defined."""'
    simple = [p for n, p in parts.items() if "\n" not in p.strip()]
    bodies = [p for n, p in parts.items() if "\n" in p.strip()]
    lines = [header, ""] + imports + [p for p in simple if p not in imports]
    return "\n".join(lines) + "\n\n\n" + "\n\n\n".join(b.strip("\n") for b in bodies) + "\n"


def definition_source(namespace: Mapping[str, Any], name: str) -> str | None:
    """The source of the function or class ``name`` of ``namespace``: from inspect, else
    from the newest cell in ``In`` that defines it at its top level."""
    value = namespace.get(name)
    if isinstance(value, (types.FunctionType, type)):
        try:
            source = textwrap.dedent(inspect.getsource(value))
            if _defines(source, name):
                return source
        except (OSError, TypeError):
            pass
    for cell in reversed(_cells(namespace)):
        found = _top_level(cell, name)
        if found is not None:
            return found
    return None


def _cells(namespace: Mapping[str, Any]) -> list[str]:
    history = namespace.get("In")
    if isinstance(history, list):
        return [cell for cell in history if isinstance(cell, str)]
    return []


def _top_level(cell: str, name: str) -> str | None:
    try:
        tree = ast.parse(cell)
    except SyntaxError:  # a cell with magics or a typo: it defines nothing we can use
        return None
    found = None
    for node in tree.body:  # the last definition in the cell is the one that counts
        if _is_definition(node, name):
            found = node
    if found is None:
        return None
    lines = cell.splitlines()
    decorators = getattr(found, "decorator_list", [])
    start = min([found.lineno] + [d.lineno for d in decorators])
    return "\n".join(lines[start - 1:found.end_lineno]) + "\n"


def _is_definition(node: ast.stmt, name: str) -> bool:
    """``def name``, ``class name``, or ``name = lambda ...``."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets))


def _defines(source: str, name: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return any(_is_definition(n, name) for n in body)


def _globals_used(value: Any, source: str) -> set[str]:
    """Names a definition may read from its module: the code's global names, and for a
    class (or where the code object is not at hand) every name its source loads."""
    if isinstance(value, types.FunctionType):
        return set(_code_names(value.__code__))
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _import_line(name: str, value: Any) -> str | None:
    """``import torch``, ``import numpy as np``, ``from math import sqrt``: how the
    notebook got ``value`` under ``name``, when it came from an importable module."""
    if isinstance(value, types.ModuleType):
        return f"import {value.__name__}" + (f" as {name}" if value.__name__ != name else "")
    home = getattr(value, "__module__", None)
    original = getattr(value, "__name__", None)
    if (not isinstance(home, str) or not isinstance(original, str) or not callable(value)
            or home in ("__main__", "builtins")):
        return None
    try:
        if getattr(importlib.import_module(home), original, None) is value:
            return f"from {home} import {original}" + (f" as {name}" if original != name else "")
    except Exception:  # a module that will not import here will not import there either
        return None
    return None


def _constant_line(name: str, value: Any) -> str | None:
    """``name = <literal>`` for a plain constant (numbers, strings, tuples of them)."""
    if not _plain(value):
        return None
    text = repr(value)
    try:
        if ast.literal_eval(text) != value:
            return None
    except (ValueError, SyntaxError):
        return None
    return f"{name} = {text}"


def _plain(value: Any) -> bool:
    if isinstance(value, SCALARS):
        return True
    if isinstance(value, (tuple, list, frozenset, set)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False
