"""Calling the student's function on one input and judging the answer.

A ``Case`` is one call with named inputs. Every way of failing goes through
it, so each failure carries the inputs, the expected value and what came
back, and the reporters can show the smallest failing call in plain words.
"""

from __future__ import annotations

import torch

from gradkit import catalog, describe, recipes
from gradkit.verdicts import STUDENT_ERRORS, CheckFailure

# |got - expected| <= RTOL * (|expected| + scale), elementwise. ``scale`` is the
# size of the quantities the answer is computed from (default: the largest
# expected element, at least 1), so cancellation in a correct float32 answer
# stays inside the tolerance while a wrong factor (2, n, -1) never does.
RTOL = {torch.float32: 2e-3, torch.float64: 1e-7}


class Case:
    """One call. Arguments that are nodes of an autograd graph are given as a
    recipe (``graph``) and ``bind`` ({argument index: node or [nodes]}); the
    worker builds the graph, and the feedback shows it as code (``t0``, ``t1``...)."""

    def __init__(self, student, topic: str, function: str, *args, graph=None, bind=None):
        self.student = student
        self.topic = topic
        self.function = function
        params = catalog.function(topic, function).params
        self.args = list(args)
        self.graph = graph
        self.bind = bind or {}
        shown = list(args)
        for index, ref in self.bind.items():
            shown[index] = describe.Code(
                "[" + ", ".join(map(recipes.name, ref)) + "]" if isinstance(ref, list)
                else recipes.name(ref))
        self.inputs = dict(zip(params, shown))
        # What the feedback shows: the code that builds the graph, then the arguments.
        self.shown = ({"graph": describe.Code(recipes.as_code(graph))} if graph else {}) | self.inputs

    @property
    def label(self) -> str:
        return describe.call(self.function, self.inputs)

    def build(self) -> list[torch.Tensor]:
        """The graph's nodes, built here in the grader: the truth to compare with."""
        return recipes.build(self.graph)

    def bound(self, nodes: list[torch.Tensor]) -> list:
        """The call's arguments with graph nodes in place, as the worker binds them."""
        args = list(self.args)
        for index, ref in self.bind.items():
            args[index] = recipes.pick(nodes, ref)
        return args

    def run(self, leaves=(), vjp=None):
        try:
            return self.student.call(self.topic, self.function, self.args, leaves=leaves,
                                     graph=self.graph, bind=self.bind if self.graph else None,
                                     vjp=vjp, label=self.label)
        except STUDENT_ERRORS as exc:
            exc.inputs = self.shown
            raise

    def fail(self, message: str, expected=None, got=None, misconception=None):
        raise CheckFailure(f"{self.label}: {message}", inputs=self.shown, expected=expected,
                           got=got, misconception=misconception, call=self.label)

    # -- judging answers -------------------------------------------------

    def expect_tensor(self, got, expected: torch.Tensor, what: str = "the result",
                      scale: float | None = None):
        """Exact shape, dtype and device, then values within tolerance."""
        problem = tensor_problem(got, expected, what, scale)
        if problem:
            self.fail(problem, expected, got)

    def expect_tensors(self, got, expected: tuple, names: tuple[str, ...], scale=None):
        """A tuple of tensors; a failure shows the whole tuples, expected and got."""
        if not isinstance(got, (tuple, list)):
            self.fail(f"should return a tuple of {len(expected)} tensors "
                      f"({', '.join(names)}), got {_kind(got)}", expected, got)
        if len(got) != len(expected):
            self.fail(f"should return {len(expected)} values ({', '.join(names)}), "
                      f"got {len(got)}", expected, got)
        for g, e, name in zip(got, expected, names):
            problem = tensor_problem(g, e, name, scale)
            if problem:
                self.fail(problem, expected, tuple(got))

    def expect_list(self, got, expected: list, what: str, item: type, misconception=None):
        """A list of plain values (names, bools), equal item by item."""
        if isinstance(got, tuple):
            got = list(got)
        if not isinstance(got, list) or not all(type(g) is item for g in got):
            self.fail(f"should return a list of {item.__name__}, got {_kind(got)}"
                      + (f" holding {_kind(next(g for g in got if type(g) is not item))}"
                         if isinstance(got, list) else ""), expected, got)
        if got == expected:
            return
        first = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e),
                     min(len(got), len(expected)))
        if len(got) != len(expected) and first == min(len(got), len(expected)):
            detail = f"has {len(got)} entries, expected {len(expected)}"
        else:
            detail = f"differs at index {first}: {got[first]!r}, expected {expected[first]!r}"
        self.fail(f"{what} {detail}", expected, got, misconception)

    def expect_bool(self, got, expected: bool):
        if isinstance(got, torch.Tensor) and got.dim() == 0 and got.dtype == torch.bool:
            self.fail("returned a 0-d tensor; return a plain Python bool (use .item())",
                      expected, got)
        if type(got) is not bool:
            self.fail(f"should return a bool, got {_kind(got)}", expected, got)
        if got != expected:
            self.fail(f"returned {got}, expected {expected}", expected, got)


def tensor_problem(got, expected: torch.Tensor, what: str, scale: float | None) -> str | None:
    """What is wrong with ``got`` as an answer of ``expected``'s contract, or None."""
    if not isinstance(got, torch.Tensor):
        return f"{what} should be a tensor, got {_kind(got)}"
    if tuple(got.shape) != tuple(expected.shape):
        return (f"{what} has shape {tuple(got.shape)}, the contract says "
                f"{tuple(expected.shape)}" + _shape_hint(got.shape, expected.shape))
    if got.dtype != expected.dtype:
        return f"{what} has dtype {got.dtype}, expected {expected.dtype} (the input's dtype)"
    if _device_of(got) != _device_of(expected):
        return (f"{what} is on {_device_of(got)}, expected {_device_of(expected)} "
                "(the input's device)")
    got_c = got.detach().to("cpu", torch.float64)
    exp_c = expected.detach().to("cpu", torch.float64)
    if not torch.isfinite(got_c).all():
        return f"{what} contains NaN or infinity"
    rtol = RTOL.get(expected.dtype, 1e-7)
    if scale is None:
        scale = max(1.0, exp_c.abs().max().item() if exp_c.numel() else 1.0)
    err = (got_c - exp_c).abs()
    bad = err > rtol * (exp_c.abs() + scale)
    if not bad.any():
        return None
    where = _first_index(bad)
    return (f"{what} differs from the expected value" + (f" at index {where}" if where else "")
            + f" by {err.max().item():.3g}")


def _kind(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if value is None:
        return "None (did you forget to return?)"
    return f"a {type(value).__name__}"


def _device_of(t: torch.Tensor) -> str:
    meta = getattr(t, "gk_meta", None)
    device = torch.device(meta.device if meta else t.device)
    return device.type if device.type == "cpu" else f"{device.type}:{device.index or 0}"


def _shape_hint(got, expected) -> str:
    if tuple(expected) == () and tuple(got) == (1,):
        return " (a one-element tensor is not a 0-d scalar: use .sum(), .squeeze() or [0])"
    if len(got) == len(expected) == 2 and tuple(got) == tuple(reversed(expected)):
        return " (transposed?)"
    return ""


def _first_index(mask: torch.Tensor):
    if mask.dim() == 0:
        return None
    idx = mask.nonzero()[0].tolist()
    return tuple(idx) if len(idx) > 1 else idx[0]


def tensor(values, dtype, device) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, device=device)
