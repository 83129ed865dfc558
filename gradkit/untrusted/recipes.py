"""Autograd graphs described as plain data, so they can cross the process boundary.

A graph cannot be sent to the worker, but a recipe can: a list of nodes, each
a leaf (values, ``requires_grad``, optionally a ``.grad`` already filled in)
or an op on earlier nodes, optionally computed inside ``torch.no_grad()``.
The worker builds the recipe with this trusted code and hands the tensors to
the student; the grader builds the very same recipe to learn the truth.

    {"dtype": "float64", "device": "cpu", "nodes": [
        {"op": "leaf", "value": [1.0, 2.0], "requires_grad": true},
        {"op": "pow", "args": [0], "k": 2},
        {"op": "sum", "args": [1], "no_grad": true}]}
"""

from __future__ import annotations

import contextlib
import warnings
from typing import TYPE_CHECKING, Any, Callable

import torch

from .wire import DTYPES

if TYPE_CHECKING:
    from ..protocol import NodeRef

UNARY = ("pow", "sum", "mean", "tanh", "view", "index", "detach")
BINARY = ("add", "mul", "matmul")
GRAD_KINDS = (None, "plain", "graph")  # a leaf's .grad before the call: none, plain, with a graph
MAX_NODES = 64


class RecipeError(ValueError):
    """A malformed recipe: always the grader's bug, never the student's."""


def _apply(op: str, node: dict[str, Any], args: list[torch.Tensor]) -> torch.Tensor:
    a = args[0]
    if op == "add":
        return a + args[1]
    if op == "mul":
        return a * args[1]
    if op == "matmul":
        return a @ args[1]
    if op == "pow":
        return a ** int(node.get("k", 2))
    if op == "sum":
        return a.sum()
    if op == "mean":
        return a.mean()
    if op == "tanh":
        return torch.tanh(a)
    if op == "view":
        return a.view(a.shape)
    if op == "index":
        return a[int(node.get("i", 0))]
    if op == "detach":
        return a.detach()
    raise RecipeError(f"unknown op {op!r}")


def build(recipe: dict[str, Any]) -> list[torch.Tensor]:
    """Every node of the recipe as a tensor, in order."""
    dtype = DTYPES[recipe.get("dtype", "float64")]
    device = recipe.get("device", "cpu")
    nodes = recipe["nodes"]
    if len(nodes) > MAX_NODES:
        raise RecipeError("recipe too large")
    built: list[torch.Tensor] = []
    for node in nodes:
        op = node["op"]
        if op == "leaf":
            t = torch.tensor(node["value"], dtype=dtype, device=device)
            t.requires_grad_(bool(node.get("requires_grad")))
            if node.get("grad"):
                _fill_grad(t, node["grad"], torch.tensor(node["grad_value"], dtype=dtype,
                                                         device=device))
        else:
            args = [built[i] for i in node["args"]]
            with torch.no_grad() if node.get("no_grad") else contextlib.nullcontext():
                t = _apply(op, node, args)
        built.append(t)
    return built


def _fill_grad(t: torch.Tensor, kind: str, c: torch.Tensor) -> None:
    """Give leaf ``t`` a ``.grad`` the way training code would: by a backward pass.

    "plain": grad = c. "graph": grad = 2·t·c, from ``backward(create_graph=True)``,
    so the grad itself carries a ``grad_fn``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_graph=True warns about a reference cycle
        if kind == "plain":
            (t * c).sum().backward()
        elif kind == "graph":
            (t * t * c).sum().backward(create_graph=True)
        else:
            raise RecipeError(f"unknown grad kind {kind!r}")


def pick(nodes: list[torch.Tensor], ref: NodeRef) -> torch.Tensor | list[torch.Tensor]:
    """A bound argument: one node (an int) or a list of nodes (a list of ints)."""
    if isinstance(ref, list):
        return [nodes[i] for i in ref]
    return nodes[ref]


def requires_grad(nodes: list[dict[str, Any]]) -> list[bool]:
    """Which nodes will require grad, worked out from the recipe alone."""
    flags: list[bool] = []
    for node in nodes:
        if node["op"] == "leaf":
            flags.append(bool(node.get("requires_grad")))
        elif node["op"] == "detach" or node.get("no_grad"):
            flags.append(False)
        else:
            flags.append(any(flags[i] for i in node["args"]))
    return flags


# -- the recipe as code, for feedback ---------------------------------------------

_FORMS = {
    "add": "{0} + {1}", "mul": "{0} * {1}", "matmul": "{0} @ {1}", "pow": "{0} ** {k}",
    "sum": "{0}.sum()", "mean": "{0}.mean()", "tanh": "torch.tanh({0})",
    "view": "{0}.view({0}.shape)", "index": "{0}[{i}]", "detach": "{0}.detach()",
}


def name(i: int) -> str:
    return f"t{i}"


def as_code(recipe: dict[str, Any], upto: int | None = None) -> str:
    """The recipe as the Python a student would type (nodes ``t0``, ``t1``, ...)."""
    from ..describe import number

    lines = []
    dtype = recipe.get("dtype", "float64")
    for i, node in enumerate(recipe["nodes"][:upto]):
        if node["op"] == "leaf":
            rg = ", requires_grad=True" if node.get("requires_grad") else ""
            dt = "" if dtype == "float32" else f", dtype=torch.{dtype}"  # float32: torch's default
            lines.append(f"{name(i)} = torch.tensor({_values(node['value'], number)}{dt}{rg})")
            if node.get("grad") == "plain":
                c = f"torch.tensor({_values(node['grad_value'], number)}{dt})"
                lines.append(f"({name(i)} * {c}).sum().backward()")
            elif node.get("grad") == "graph":
                c = f"torch.tensor({_values(node['grad_value'], number)}{dt})"
                lines.append(f"({name(i)} * {name(i)} * {c}).sum().backward(create_graph=True)")
            continue
        expr = _FORMS[node["op"]].format(*(name(j) for j in node["args"]),
                                         k=node.get("k", 2), i=node.get("i", 0))
        if node.get("no_grad"):
            lines.append("with torch.no_grad():")
            lines.append(f"    {name(i)} = {expr}")
        else:
            lines.append(f"{name(i)} = {expr}")
    return "\n".join(lines)


def _values(v: Any, number: Callable[[float], str]) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_values(x, number) for x in v) + "]"
    return number(float(v))


# -- functions as plain data (numerical_grad's f) -------------------------------------

FUNCTION_TERMS = ("pow", "exp", "sin", "tanh", "square_of_sum")


def function(spec: dict[str, Any]) -> Callable[[torch.Tensor], torch.Tensor]:
    """``f(x)`` built here, in trusted code, from a plain description, since a callable
    cannot cross the process boundary: f(x) = Σ over terms of Σᵢ cᵢ·g(aᵢ·xᵢ), in float64,
    a 0-d result (``square_of_sum``: (Σᵢ cᵢ·aᵢ·xᵢ)², one term coupling every element).
    ``{"terms": [{"kind": "pow", "k": 3, "c": [...], "a": [...]}, ...]}``;
    ``c`` and ``a`` are flat lists as long as x (elementwise weights and scales)."""
    terms = spec["terms"]
    for term in terms:
        if term["kind"] not in FUNCTION_TERMS:
            raise RecipeError(f"unknown function term {term['kind']!r}")

    def f(x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1).to(torch.float64)
        total = torch.zeros((), dtype=torch.float64, device=x.device)
        for term in terms:
            c = torch.tensor(term["c"], dtype=torch.float64, device=x.device)
            u = torch.tensor(term["a"], dtype=torch.float64, device=x.device) * flat
            kind = term["kind"]
            if kind == "square_of_sum":  # (Σᵢ cᵢ·aᵢ·xᵢ)²: not a sum of per-element terms
                total = total + (c * u).sum() ** 2
                continue
            g = (u ** int(term["k"]) if kind == "pow" else torch.exp(u) if kind == "exp"
                 else torch.sin(u) if kind == "sin" else torch.tanh(u))
            total = total + (c * g).sum()
        return total

    return f


def function_as_code(spec: dict[str, Any]) -> str:
    """The function as a student would write it, for feedback."""
    parts = []
    for term in spec["terms"]:
        u = f"(torch.tensor({term['a']}) * x.reshape(-1))"
        if term["kind"] == "square_of_sum":
            parts.append(f"(torch.tensor({term['c']}) * {u}).sum() ** 2")
            continue
        g = {"pow": f"{u} ** {term.get('k')}", "exp": f"torch.exp{u}",
             "sin": f"torch.sin{u}", "tanh": f"torch.tanh{u}"}[term["kind"]]
        parts.append(f"(torch.tensor({term['c']}) * {g}).sum()")
    return "lambda x: " + " + ".join(parts)
