"""Autograd graphs as pictures (DOT, drawn by torchviz) and as text (the grad_fn chain).

Trusted code, used on both sides: the worker draws the student's graph, the
grader draws the reference's; only the resulting strings cross the boundary.
torchviz 0.0.3 has traps, each handled here: it imports ``distutils`` (gone
from Python 3.12 unless setuptools provides it) and warns on every call (both
silenced, with a fallback writer if the import fails), it recurses once per
node (graphs past ``MAX_TORCHVIZ_NODES`` use the iterative fallback writer), and
it reads ``saved_tensors`` of custom Functions, which raises once a backward
freed them (then the fallback writer is used too).
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any, Iterable

import torch

if TYPE_CHECKING:
    from ..protocol import Drawing

MAX_TORCHVIZ_NODES = 300
MAX_ROOTS = 2  # a loop runs many backward passes: the first two show its shape
MAX_TEXT_LINES = 40
MAX_DOT_CHARS = 90_000


def roots_in(value: Any) -> list[torch.Tensor]:
    """Tensors with a grad_fn inside a returned value (tensor, tuple, list)."""
    if isinstance(value, torch.Tensor):
        return [value] if value.grad_fn is not None else []
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in roots_in(v)]
    return []


def grads_in(tensors: Iterable[Any]) -> list[torch.Tensor]:
    """The ``.grad`` of leaves that carries a graph of its own (``create_graph=True``)."""
    found = []
    for t in tensors:
        grad = t.grad if isinstance(t, torch.Tensor) and t.is_leaf else None
        if grad is not None and grad.grad_fn is not None:
            found.append(grad)
    return found


def pick_roots(backward_roots: list[torch.Tensor], value: Any, arguments: list[Any]) -> list[torch.Tensor]:
    """What to draw of a call, the same way on both sides: where its backward passes
    started, else the graph it returned, else graphs left on its arguments' .grad,
    else the graph it was given."""
    return (backward_roots[:MAX_ROOTS] or roots_in(value) or grads_in(arguments)[:MAX_ROOTS]
            or roots_in(list(arguments))[:1])


def _reachable(roots: list[torch.Tensor]) -> set[Any]:  # autograd nodes (grad_fn)
    """Every autograd node reachable from the roots, as a set: only how many there are and
    which edges join them are drawn. Deliberately no ordered walk and no list of leaves:
    in this module (which ships to students and sits in the sandbox) either would be the
    answer to grad_fn_names or leaves_receiving_grad."""
    found: set[Any] = set()
    todo = {r.grad_fn for r in roots if r.grad_fn is not None}
    while todo:
        fn = todo.pop()
        if fn not in found:
            found.add(fn)
            todo.update(p for p, _ in fn.next_functions if p is not None and p not in found)
    return found


def _label(fn: Any, names: dict[int, str]) -> str:
    variable = getattr(fn, "variable", None)
    if variable is not None:
        name = names.get(id(variable), "leaf")
        return f"AccumulateGrad → {name} {tuple(variable.shape)}"
    return fn.name()


def text(roots: list[torch.Tensor], names: dict[int, str] | None = None) -> str:
    """The chain of grad_fn names down to the leaves, as an indented tree."""
    names = names or {}
    lines: list[str]
    shown: set[Any]  # autograd nodes already drawn
    lines, shown = [], set()

    def visit(fn: Any, prefix: str, last: bool, top: bool) -> None:
        if len(lines) >= MAX_TEXT_LINES:
            return
        branch = "" if top else ("└─ " if last else "├─ ")
        again = " (shared, see above)" if fn in shown and getattr(fn, "variable", None) is None \
            and fn.next_functions else ""
        lines.append(prefix + branch + _label(fn, names) + again)
        if again:
            return
        shown.add(fn)
        parents = [p for p, _ in fn.next_functions if p is not None]
        child_prefix = prefix + ("" if top else ("   " if last else "│  "))
        for i, parent in enumerate(parents):
            visit(parent, child_prefix, i == len(parents) - 1, False)

    stack_limit = 200  # deep chains are cut rather than recursed into
    for root in roots:
        if root.grad_fn is None:
            lines.append(f"{names.get(id(root), 'tensor')} {tuple(root.shape)} (no grad_fn)")
        elif len(_reachable([root])) > stack_limit:
            lines.append(f"{root.grad_fn.name()} … ({len(_reachable([root]))} nodes)")
        else:
            visit(root.grad_fn, "", True, True)
    if len(lines) >= MAX_TEXT_LINES:
        lines.append("…")
    return "\n".join(lines)


def dot(roots: list[torch.Tensor], names: dict[int, str] | None = None) -> str:
    """DOT source of the graph: torchviz's picture, or the fallback writer's."""
    if not roots:
        return ""
    source = None
    if len(_reachable(roots)) <= MAX_TORCHVIZ_NODES:
        source = _torchviz(roots, names or {})
    if source is None:
        source = _fallback_dot(roots, names or {})
    return source if len(source) <= MAX_DOT_CHARS else _fallback_dot(roots[:1], names or {}, 150)


def _torchviz(roots: list[torch.Tensor], names: dict[int, str]) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distutils deprecation, LooseVersion on every call
        try:
            from torchviz import make_dot
        except ImportError:  # Python 3.12+ without setuptools: no distutils
            return None
        try:
            graph = make_dot(tuple(roots) if len(roots) > 1 else roots[0])
        except (RuntimeError, RecursionError, AssertionError):
            return None  # freed saved tensors of a custom Function, or too deep
    return _named(graph.source, names)


def _named(source: str, names: dict[int, str]) -> str:
    """torchviz's DOT with each named tensor's node labelled by its name. torchviz names a
    tensor node by ``id(tensor)`` and, given no params, labels it with an empty name and its
    size; naming after the fact needs no list of the graph's leaves."""
    def label(match: re.Match[str]) -> str:
        name = names.get(int(match.group(1)), "")
        return f'\t{match.group(1)} [label="{_quoted(name)}\n'
    return re.sub(r'\t(\d+) \[label="\n', label, source)


def _quoted(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _fallback_dot(roots: list[torch.Tensor], names: dict[int, str],
                  limit: int = MAX_TORCHVIZ_NODES * 4) -> str:
    """The same picture as torchviz's (grey ops, blue leaves, green outputs), iteratively."""
    lines = ['digraph {', '\tnode [align=left fontname=monospace fontsize=10 height=0.2 '
             'ranksep=0.1 shape=box style=filled]']
    for i, root in enumerate(roots):
        lines.append(f'\tout{i} [label="{tuple(root.shape)}" fillcolor=darkolivegreen1]')
        if root.grad_fn is not None:
            lines.append(f'\t{id(root.grad_fn)} -> out{i}')
    # any order draws the same picture; by name, so it follows neither the graph nor creation
    for fn in sorted(_reachable(roots), key=lambda f: (f.name(), id(f)))[:limit]:
        lines.append(f'\t{id(fn)} [label="{fn.name()}"]')
        variable = getattr(fn, "variable", None)
        if variable is not None:
            label = (names.get(id(variable), "") + " " + str(tuple(variable.shape))).strip()
            lines.append(f'\tv{id(variable)} [label="{label}" fillcolor=lightblue]')
            lines.append(f'\tv{id(variable)} -> {id(fn)}')
        for parent, _ in fn.next_functions:
            if parent is not None:
                lines.append(f'\t{id(parent)} -> {id(fn)}')
    lines.append("}")
    return "\n".join(lines)


def drawing(roots: list[torch.Tensor], names: dict[int, str] | None = None) -> Drawing:
    """What the report needs of a graph: its text form and its DOT source."""
    return {"text": text(roots, names), "dot": dot(roots, names),
            "nodes": len(_reachable(roots))}


class BackwardRoots:
    """Collects the tensors every backward pass starts from, while installed.

    The worker's autograd watch feeds it; the grader uses ``watch.backward_roots()``
    around a reference, so both sides' graphs are found the same way.
    """

    def __init__(self) -> None:
        self.roots: list[torch.Tensor] = []

    def add(self, tensors: Any) -> None:
        for t in tensors if isinstance(tensors, (tuple, list)) else (tensors,):
            if isinstance(t, torch.Tensor) and t.grad_fn is not None and len(self.roots) < 8:
                self.roots.append(t)
