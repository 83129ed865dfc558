"""Naming a mistake nobody listed: families of wrong variants of each reference.

A *family* is a wrong version of a function's reference (a reduction changed, a factor
dropped, a derivative taken at the wrong point, the last batch dropped ...), registered per
function with ``variant(topic, function, id)``. Each example a check compares (passing and
failing alike) and each call that raised is recorded with a *judge* (``judge``): a deferred
test, run in the grader after the function's checks, of which families reproduce that
example's answer. The plugin names a family only when it reproduces every recorded example
of the function, failing and passing (``gradkit.evidence.reproduced_everywhere``), and says
nothing where it and a hand-written diagnosis disagree. The texts are the ids' entries in
gradkit/texts/misconceptions.toml: words, never the reference's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import torch

from checks.tolerance import tensor_problem
from gradkit.testing import known_misconception


@dataclass(frozen=True)
class Raised:
    """What a call that raised instead of answering left: its error message."""
    message: str


@dataclass(frozen=True)
class GradIsNone:
    """A variant's answer where the gradient it returns is None (no backward reached it):
    the student's code returns None there, or raises reading it (``NoneType``)."""


@dataclass(frozen=True)
class OneOf:
    """A variant that may go either way on this input (it raises, or the value is right,
    depending on how the rest is written): any of ``answers`` reproduces it."""
    answers: tuple


@dataclass(frozen=True)
class Family:
    id: str
    answer: Callable[..., object]  # the call's arguments -> the variant's answer


_FAMILIES: dict[tuple[str, str], list[Family]] = {}


def variant(topic: str, function: str, mid: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """Register ``answer(*args)`` as the wrong variant ``mid`` of ``topic.function``."""
    def register(answer: Callable[..., object]) -> Callable[..., object]:
        _FAMILIES.setdefault((topic, function), []).append(Family(known_misconception(mid), answer))
        return answer
    return register


def families(topic: str, function: str) -> list[Family]:
    return _FAMILIES.get((topic, function), [])


def judge(topic: str, function: str, args: list | Callable[[], list], got: object,
          scale: float | None = None) -> Callable[[], dict[str, bool]] | None:
    """A deferred test of which families reproduce ``got`` for ``args``: a callable giving
    {id: reproduced?} in the order the families were registered (None: no families here).
    Deferred because most checks pass, and then nothing needs computing. ``args`` may be a
    callable giving fresh arguments for each family (a graph's nodes, built anew: a variant
    that runs backward on them must not leave .grad for the next)."""
    found = families(topic, function)
    if not found:
        return None

    def run() -> dict[str, bool]:
        verdict: dict[str, bool] = {}
        for family in found:
            try:
                want = family.answer(*(args() if callable(args) else args))
            except Exception:  # a variant that cannot run on this input explains nothing here
                verdict[family.id] = False
                continue
            # Two variants with one id (spellings of the same mistake): either will do.
            verdict[family.id] = verdict.get(family.id, False) or reproduces(got, want, scale)
        return verdict
    return run


def reproduces(got: object, want: object, scale: float | None = None) -> bool:
    """``got`` is what ``want`` predicts: the same structure, tensors within the checks'
    tolerance (the same NaNs and infinities where the variant overflows), the same error."""
    if isinstance(want, OneOf):
        return any(reproduces(got, w, scale) for w in want.answers)
    if isinstance(want, GradIsNone):
        return got is None or (isinstance(got, Raised) and "NoneType" in got.message)
    if isinstance(want, Raised):
        return isinstance(got, Raised) and re.search(want.message, got.message) is not None
    if isinstance(got, Raised):
        return False
    if isinstance(want, torch.Tensor):
        return isinstance(got, torch.Tensor) and _close(got, want, scale)
    if isinstance(want, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(want)
                and all(reproduces(g, w, scale) for g, w in zip(got, want)))
    if isinstance(got, torch.Tensor):  # ``want`` is no tensor: ``==`` would broadcast
        return False
    return (got == want) is True


def _close(got: torch.Tensor, want: torch.Tensor, scale: float | None) -> bool:
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    w = want.detach().cpu().double()
    finite = torch.isfinite(w)
    if not finite.all():
        g = got.detach().cpu().double()
        if not (torch.equal(torch.isnan(g), torch.isnan(w))
                and torch.equal(g[torch.isinf(w)], w[torch.isinf(w)])):
            return False
        if not finite.any():
            return True
        got, want = g[finite], w[finite]
    return tensor_problem(got, want, "", scale) is None
