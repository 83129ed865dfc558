"""A static scan of a submission's source for code that reaches into the grader or
the interpreter: flags for an instructor to review, never a verdict and never shown
to the student (only the instructor's JSON, the batch CSV and summary carry them).

Exercise code has no reason to import ``gradkit``, walk frames, touch ``gc`` or
``ctypes``, read ``__closure__``, build a new autograd engine or open ``/proc``; a hit
is worth a human look, nothing more.
"""

from __future__ import annotations

import ast
import os
import re
from typing import Any

# Names (imports, attributes, identifiers) and what each one is about.
_NAMES = {
    "gradkit": "grader", "sys.modules": "interpreter", "gc": "interpreter",
    "ctypes": "interpreter", "cffi": "interpreter", "inspect": "frames",
    "_getframe": "frames", "f_back": "frames", "f_locals": "frames", "f_globals": "frames",
    "tb_frame": "frames", "gi_frame": "frames", "settrace": "frames", "setprofile": "frames",
    "_current_frames": "frames", "__closure__": "closures", "cell_contents": "closures",
    "__code__": "closures", "__globals__": "closures", "__builtins__": "interpreter",
    "addaudithook": "interpreter", "_ImperativeEngine": "torch internals",
    "_execution_engine": "torch internals", "_current_graph_task_id": "torch internals",
    "TensorBase": "torch internals", "_VariableFunctions": "torch internals",
    "forward_ad": "torch internals", "_make_dual": "torch internals",
    "__setattr__": "interpreter", "__subclasses__": "interpreter", "__mro__": "interpreter",
    "dup2": "file descriptors", "importlib": "dynamic code", "__import__": "dynamic code",
    "exec": "dynamic code", "eval": "dynamic code", "compile": "dynamic code",
    "marshal": "dynamic code", "pickle": "dynamic code", "subprocess": "processes",
    "os.system": "processes", "os.fork": "processes", "socket": "processes",
    "_exit": "processes", "signal": "processes", "threading": "threads", "_thread": "threads",
    "concurrent": "threads", "multiprocessing": "processes", "_python_dispatch": "torch internals",
    "_pop_mode": "torch internals", "_disable_current_modes": "torch internals",
    "_DisableTorchDispatch": "torch internals", "_len_torch_dispatch_stack": "torch internals",
    "_pop_torch_dispatch_stack": "torch internals", "_pop_torch_function_stack": "torch internals",
    "checks": "grader",
}
# The kit's own checks (and the references they hold) as a package: importing it, or
# naming it to an import function, is reaching for the answers.
_GRADER_PACKAGES = ("checks", "gradkit")
_TEXT = [(re.compile(r"/proc\b"), "/proc", "interpreter"),
         (re.compile(r"torch\._C\b"), "torch._C", "torch internals"),
         (re.compile(r"\bchecks[/\\]\w"), "checks/ files", "grader"),
         (re.compile(r"\\x[0-9a-fA-F]{2}|base64|codecs\.decode|rot13"),
          "obfuscated text", "dynamic code")]
_MAX = 50


def scan(folder: str) -> list[dict[str, Any]]:
    """[{"file", "line", "what", "about"}] for every ``.py`` file of ``folder``."""
    found: list[dict[str, Any]] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                found += scan_file(path, os.path.relpath(path, folder))
            if len(found) >= _MAX:
                return found[:_MAX]
    return found


def read_source(path: str) -> str | None:
    """A student's file as text, its first megabyte, without running anything: None where
    it is not a regular file (a FIFO or a device named *.py: opening it could block) or
    cannot be read."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read(1 << 20).decode("utf-8", errors="replace")
    except OSError:
        return None


def parse(source: str) -> ast.Module | None:
    """``source``'s syntax tree, or None where the parser refuses it (a syntax error, or a
    nesting too deep for it: RecursionError)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def scan_file(path: str, label: str) -> list[dict[str, Any]]:
    source = read_source(path)
    if source is None:
        return []
    hits: dict[tuple[str, int], dict[str, Any]] = {}

    def hit(line: int, what: str) -> None:
        about = _NAMES.get(what) or dict((w, a) for _, w, a in _TEXT).get(what, "interpreter")
        hits.setdefault((what, line), {"file": label, "line": line, "what": what, "about": about})

    tree = parse(source)
    if tree is not None:
        for node in ast.walk(tree):
            line = getattr(node, "lineno", 0)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                for n in names:
                    for part in (n, n.split(".")[0], n.rsplit(".", 1)[-1]):
                        if part in _NAMES and (part != "checks" or _names_grader(n)):
                            hit(line, part)
                    if n.startswith("torch._C") or n.startswith("torch.autograd.forward_ad"):
                        hit(line, "torch._C" if n.startswith("torch._C") else "forward_ad")
            elif isinstance(node, ast.Attribute):
                if node.attr in _NAMES and node.attr not in ("exec", "eval", "compile"):
                    hit(line, node.attr)
                dotted = _dotted(node)
                if dotted in ("sys.modules", "os.system", "os.fork"):
                    hit(line, dotted)
            elif isinstance(node, ast.Name) and node.id in _NAMES and node.id not in ("signal",
                                                                                 "checks"):
                hit(line, node.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("getattr", "setattr", "delattr", "vars", "globals") and \
                    node.args and not (len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                                       and isinstance(node.args[1].value, str)
                                       and not node.args[1].value.startswith("_")):
                if node.func.id in ("vars", "globals") or len(node.args) > 1:
                    hit(line, f"{node.func.id}()")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    node.value in _NAMES and node.value not in ("exec", "eval", "compile", "signal",
                                                                "checks"):
                hit(line, node.value)
            if isinstance(node, ast.Call) and _callee(node) in _IMPORTERS and any(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) and _names_grader(a.value)
                    for a in [*node.args, *(k.value for k in node.keywords)]):
                hit(line, "checks" if _names_grader(_first_str(node), "checks") else "gradkit")
    for number, text in enumerate(source.splitlines(), 1):
        for pattern, what, _ in _TEXT:
            if pattern.search(text):
                hit(number, what)
    return sorted(hits.values(), key=lambda h: (h["line"], h["what"]))


def _names_grader(name: str, *packages: str) -> bool:
    """Whether a module name is one of the grader's packages or inside one."""
    return any(name == p or name.startswith(p + ".") for p in packages or _GRADER_PACKAGES)


# Functions that import (or find) a module named by a string.
_IMPORTERS = frozenset({"import_module", "__import__", "find_spec", "find_module", "load_module",
                        "spec_from_file_location", "get", "__getitem__"})


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _first_str(call: ast.Call) -> str:
    for a in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(a, ast.Constant) and isinstance(a.value, str) and _names_grader(a.value):
            return a.value
    return ""


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def summary(found: list[dict[str, Any]]) -> str:
    """One short line for the CSV: ``file:line what`` items, ``; ``-separated."""
    return "; ".join(f"{h['file']}:{h['line']} {h['what']}" for h in found[:8]) + (
        f"; +{len(found) - 8}" if len(found) > 8 else "")


def column(result: object) -> str:
    """The batch CSV's "review" cell of one result: its integrity flags, then what the
    static scan found; empty when there is nothing to look at."""
    flags = getattr(result, "flags", None) or []
    found = getattr(result, "review", None) or []
    items = []
    if getattr(result, "regrade", False):
        items.append("regrade: a check failed through the grader's own error")
    for f in flags[:6]:
        where = f" {f['file']}:{f['line']}" if f.get("file") else ""
        detail = f" {f['detail']}" if f.get("detail") else ""
        items.append(f"{f.get('function', '')}: {f.get('event', '')}{detail}{where}")
    if len(flags) > 6:
        items.append(f"+{len(flags) - 6} flags")
    if found:
        items.append(summary(found))
    return " | ".join(items)[:2000]


def touches(result: object, topic: str, function: str) -> bool:
    """Whether a result's flags or scan concern ``topic.function`` (its module's file)."""
    label = f"{topic}.{function}"
    return any(f.get("function") == label for f in getattr(result, "flags", None) or []) or \
        any(os.path.basename(h.get("file", "")) == f"{topic}.py"
            for h in getattr(result, "review", None) or [])
