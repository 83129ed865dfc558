"""Naming the mistake behind a wrong answer.

A ``Diagnosis`` recognises one catalogued misconception from what the code did:
the relation between the returned and the expected value (half, n times,
negated), agreement with a known wrong formula computed here in the grader, or
the error the code raised. Never from the student's source text.
"""

from __future__ import annotations

import re

import torch

from gradkit.i18n import known_misconception


class Diagnosis:
    def __init__(self, mid: str, value=None, error: str | None = None):
        self.id = known_misconception(mid)
        self._value = value          # (got, expected) -> bool
        self._error = re.compile(error) if error else None

    def explains(self, got, expected) -> bool:
        if self._value is None:
            return False
        try:
            return bool(self._value(got, expected))
        except Exception:  # a malformed answer simply is not this mistake
            return False

    def explains_error(self, message: str) -> bool:
        return bool(self._error and self._error.search(message))


def first_match(diagnoses, got, expected) -> str | None:
    return next((d.id for d in diagnoses if d.explains(got, expected)), None)


def first_error_match(diagnoses, message: str) -> str | None:
    return next((d.id for d in diagnoses if d.explains_error(message)), None)


# -- comparing values -----------------------------------------------------------------

def approx(got, want) -> bool:
    """``got`` passes as ``want`` (same structure; tensors by the checks' own tolerance)."""
    from checks.expect import tensor_problem

    if isinstance(want, torch.Tensor):
        return isinstance(got, torch.Tensor) and tensor_problem(got, want, "", None) is None
    if isinstance(want, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(want)
                and all(approx(g, w) for g, w in zip(got, want)))
    return got == want


def _scale(value, factor):
    if isinstance(value, (tuple, list)):
        return type(value)(_scale(v, factor) for v in value)
    return value * factor


# -- the kinds of diagnosis ---------------------------------------------------------------

def scaled(mid: str, factor: float) -> Diagnosis:
    """The answer is ``factor`` times the right one (½: a dropped 2; n: sum for mean; −1)."""
    return Diagnosis(mid, lambda got, expected: approx(got, _scale(expected, factor)))


def matches(mid: str, wrong) -> Diagnosis:
    """The answer is what a known wrong formula gives: ``wrong()``, computed in the grader."""
    return Diagnosis(mid, lambda got, expected: approx(got, wrong()))


def when(mid: str, predicate) -> Diagnosis:
    """Any other relation: ``predicate(got, expected)``."""
    return Diagnosis(mid, predicate)


def raised(mid: str, pattern: str) -> Diagnosis:
    """The code raised an error whose message matches ``pattern``."""
    return Diagnosis(mid, error=pattern)


def transposed(mid: str = "transposed") -> Diagnosis:
    def check(got, expected):
        pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
        return any(isinstance(g, torch.Tensor) and g.dim() == 2 and e.dim() == 2
                   and g.shape != e.shape and tuple(g.shape) == tuple(reversed(e.shape))
                   for g, e in pairs)
    return Diagnosis(mid, check)
