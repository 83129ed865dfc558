"""Which of a topic's functions a change to its module can affect, read from the source.

`check --watch` regrades only those after a save, and the kit's tests grade a mutant only
on those. The answer is conservative: ``None`` (regrade the whole topic) whenever the
module's own code outside its bindings changed (anything run at import but a ``def``, a
``class``, an import or an assignment that calls nothing), whenever an import was added or
removed (importing may run code), whenever a changed name is used by that code, whenever either version does not
parse, and whenever a function can reach names it does not spell out (``globals()``,
``eval``, ``global`` statements...). Otherwise a catalogued function is affected when the
names it uses, followed through the module's helpers, reach a changed definition.

What this cannot see: state a function leaves behind in a module-level object (a list it
appends to) and that another function reads; the checks of one function share a worker
with the others' (gradkit.untrusted.sandbox), so such code is graded right only by a
whole-topic grading. The kit's tests prove the checks themselves call only their own
function (tests/test_mutants.py).
"""

from __future__ import annotations

import ast
from typing import Iterable

# Names through which a function reaches other names without spelling them.
_INDIRECT = frozenset({"globals", "locals", "vars", "eval", "exec", "__import__", "compile",
                       "importlib", "sys", "__dict__", "getattr", "setattr", "delattr"})
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class _Module:
    """A parsed module: every binding of each name, in order, and the rest of its code.

    A binding is a ``def``/``class``, an import, or an assignment to plain names whose value
    calls nothing (outside lambdas): running it has no effect but the name. Anything else at
    the top level (a call, a loop, a ``try``...) is code outside the definitions. A binding's
    shape carries, for each name its right-hand side evaluates at import (decorators,
    defaults, a class body, an assigned value), how many bindings of that name precede it:
    moving a redefinition across it changes the value it binds."""

    def __init__(self, source: str) -> None:
        tree = ast.parse(source)
        self.bindings: dict[str, list[str]] = {}
        self.nodes: dict[str, list[ast.stmt]] = {}
        self.other: list[ast.stmt] = []
        self.imports: set[str] = set()  # an import may run code: any new one is a new module
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports.add(ast.dump(node))
            names = _bound_names(node)
            if names is None:
                if not _inert(node):
                    self.other.append(node)
                continue
            context = [(n, len(self.bindings.get(n, []))) for n in sorted(_eager_names(node))]
            shape = ast.dump(node) + repr(context)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and all(
                    self.bindings.get(name, [""])[-1] == shape for name in names):
                continue  # the same import again binds the same module: nothing changes
            for name in names:
                self.bindings.setdefault(name, []).append(shape)
                self.nodes.setdefault(name, []).append(node)

    def lines(self) -> dict[str, list[tuple[int, int]]]:
        """Where each name's bindings are: (first line, last line) of each."""
        return {name: [(n.lineno, n.end_lineno or n.lineno) for n in nodes]
                for name, nodes in self.nodes.items()}

    def code_outside_definitions(self) -> list[str]:
        return [ast.dump(n) for n in self.other]

    def uses(self, name: str) -> set[str]:
        """Every name the bindings of ``name`` mention (decorators and defaults too)."""
        return {ident for node in self.nodes.get(name, []) for ident in _names_in(node)}

    def reach(self, name: str) -> set[str]:
        """``name`` and every name its bindings reach, through this module's bindings."""
        seen, todo = {name}, [name]
        while todo:
            for used in self.uses(todo.pop()):
                if used not in seen:
                    seen.add(used)
                    todo.append(used)
        return seen

    def opaque(self) -> bool:
        """Some binding reaches names in ways a reading cannot follow."""
        for nodes in self.nodes.values():
            for node in nodes:
                if any(isinstance(inner, (ast.Global, ast.Nonlocal)) for inner in ast.walk(node)):
                    return True
                if _names_in(node) & _INDIRECT:
                    return True
        return False


def _bound_names(node: ast.stmt) -> list[str] | None:
    """The names a side-effect-free top-level binding binds; None: not such a binding."""
    if isinstance(node, _DEFINITIONS):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        if any(alias.name == "*" for alias in node.names):
            return None
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return None
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if len(names) != len(targets) or _calls_outside_lambdas(value):
        return None
    return names


def _calls_outside_lambdas(node: ast.AST) -> bool:
    if isinstance(node, ast.Lambda):
        return _calls_outside_lambdas(node.args)
    if isinstance(node, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
        return True
    return any(_calls_outside_lambdas(child) for child in ast.iter_child_nodes(node))


def _inert(node: ast.stmt) -> bool:
    """A bare constant (a docstring): nothing runs."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _eager_names(node: ast.stmt) -> set[str]:
    """The names a binding evaluates when the module runs it (not when it is called)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts: list[ast.AST] = [*node.decorator_list, *node.args.defaults,
                                *[d for d in node.args.kw_defaults if d is not None]]
        return {i for part in parts for i in _names_in(part)}
    if isinstance(node, ast.ClassDef):
        return _names_in(node) - {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return _names_in(node.value)
    return set()


def _names_in(node: ast.AST) -> set[str]:
    found = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            found.add(inner.id)
        elif isinstance(inner, ast.Attribute) and inner.attr in _INDIRECT:
            found.add(inner.attr)
    return found


def affected(before: str, after: str, functions: Iterable[str]) -> list[str] | None:
    """The ``functions`` (a topic's catalogued names, in the order wanted) whose behaviour
    the change from source ``before`` to ``after`` can alter; None: the whole topic."""
    try:
        old, new = _Module(before), _Module(after)
    except (SyntaxError, ValueError, RecursionError):
        return None
    if old.code_outside_definitions() != new.code_outside_definitions() or old.opaque() \
            or new.opaque() or old.imports != new.imports:
        return None
    old_shapes, new_shapes = old.bindings, new.bindings
    changed = {n for n in old_shapes.keys() | new_shapes.keys()
               if old_shapes.get(n) != new_shapes.get(n)}
    if not changed:
        return []
    used_outside = {ident for module in (old, new) for node in module.other
                    for ident in _names_in(node)}
    if changed & used_outside:  # module-level code runs the changed definition
        return None
    return [f for f in functions if (old.reach(f) | new.reach(f)) & changed]


def moved(before: str, after: str, functions: Iterable[str]) -> list[str]:
    """The ``functions`` that reach a definition now on other lines (an error's message
    names its line: a result kept from before would name the old one). [] when either
    version does not parse."""
    try:
        old, new = _Module(before), _Module(after)
    except (SyntaxError, ValueError, RecursionError):
        return []
    lines_then, lines_now = old.lines(), new.lines()
    return [f for f in functions
            if any(lines_then.get(n) != lines_now.get(n) for n in old.reach(f) | new.reach(f))]
