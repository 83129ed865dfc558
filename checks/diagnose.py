"""Naming the mistake behind a wrong answer.

A ``Diagnosis`` recognises one catalogued misconception from what the code did:
the relation between the returned and the expected value (half, n times,
negated), agreement with a known wrong formula computed here in the grader, or
the error the code raised. Never from the student's source text.
"""

from __future__ import annotations

import re

import torch

from checks.tolerance import tensor_problem
from gradkit.testing import known_misconception


class Diagnosis:
    """``value(got, expected) -> bool`` for any relation, or ``wrong(expected)``: the
    answer the mistake gives, compared component by component for a tuple (the
    components the student got right may stay right: "∂L/∂w is half, ∂L/∂b right")."""

    def __init__(self, mid: str, value=None, error: str | None = None, wrong=None,
                 relation: str | None = None):
        self.id = known_misconception(mid)
        self._value = value          # (got, expected) -> bool
        self._wrong = wrong          # expected -> the mistake's answer
        self._error = re.compile(error) if error else None
        self.relation = relation     # a key of texts "part.*": how a wrong component relates
        self.factor = None

    def explains(self, got, expected) -> bool:
        try:
            if self._wrong is not None:
                return self._explains_parts(got, expected)
            if self._value is None:
                return False
            return bool(self._value(got, expected))
        except Exception:  # a malformed answer simply is not this mistake
            return False

    def _explains_parts(self, got, expected) -> bool:
        wrong = self._wrong(expected)
        if isinstance(expected, (tuple, list)):
            if not isinstance(got, (tuple, list)) or len(got) != len(expected):
                return False
            right = [approx(g, e) for g, e in zip(got, expected)]
            return (not all(right)
                    and all(r or approx(g, w) for r, g, w in zip(right, got, wrong)))
        return approx(got, wrong)

    def parts(self, got, expected, names) -> list | None:
        """For a tuple answer: [[component name, right?, relation, factor]], or None."""
        if self._wrong is None or not isinstance(expected, (tuple, list)) or not names:
            return None
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return None
        return [[str(n), approx(g, e), self.relation, self.factor]
                for n, g, e in zip(names, got, expected)]

    def explains_error(self, message: str) -> bool:
        return bool(self._error and self._error.search(message))


def first_match(diagnoses, got, expected) -> str | None:
    return next((d.id for d in diagnoses if d.explains(got, expected)), None)


def all_matches(diagnoses, got, expected) -> list[str]:
    """Every id that explains this answer, in the order the check lists them."""
    return list(dict.fromkeys(d.id for d in diagnoses if d.explains(got, expected)))


def first_error_match(diagnoses, message: str) -> str | None:
    return next((d.id for d in diagnoses if d.explains_error(message)), None)


# -- comparing values -----------------------------------------------------------------

def approx(got, want) -> bool:
    """``got`` passes as ``want`` (same structure; tensors by the checks' own tolerance)."""
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return False
        if got.shape == want.shape and not torch.isfinite(want.detach()).all():
            # A wrong formula that overflows: the same NaNs and infinities, the rest close.
            g, w = got.detach().cpu().double(), want.detach().cpu().double()
            finite = torch.isfinite(w)
            if not (torch.equal(torch.isnan(g), torch.isnan(w))
                    and torch.equal(g[torch.isinf(w)], w[torch.isinf(w)])):
                return False
            if not finite.any():
                return True
            return tensor_problem(got[finite.to(got.device)], want[finite.to(want.device)],
                                  "", None) is None
        return tensor_problem(got, want, "", None) is None
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
    relation = {0.5: "half", -1.0: "negated", 2.0: "double"}.get(float(factor), "times")
    diagnosis = Diagnosis(mid, wrong=lambda expected: _scale(expected, factor), relation=relation)
    diagnosis.factor = float(factor)
    return diagnosis


def matches(mid: str, wrong) -> Diagnosis:
    """The answer is what a known wrong formula gives: ``wrong()``, computed in the grader."""
    return Diagnosis(mid, wrong=lambda expected: wrong(), relation="matches")


def when(mid: str, predicate) -> Diagnosis:
    """Any other relation: ``predicate(got, expected)``."""
    return Diagnosis(mid, predicate)


def raised(mid: str, pattern: str) -> Diagnosis:
    """The code raised an error whose message matches ``pattern``."""
    return Diagnosis(mid, error=pattern)


def transposed(mid: str = "transposed") -> Diagnosis:
    def check(got, expected):
        pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
        # The transposed shape; for a square gradient, the transposed values.
        return any(isinstance(g, torch.Tensor) and g.dim() == 2 and e.dim() == 2
                   and tuple(g.shape) == tuple(reversed(e.shape))
                   and (g.shape != e.shape or (approx(g, e.T) and not approx(g, e)))
                   for g, e in pairs)
    return Diagnosis(mid, check)


# -- failure profiles ---------------------------------------------------------------------

class Features:
    """The features of a call's inputs each function declares (``declare``): named
    yes/no facts such as ``n = 1`` or ``x contains 0``. Every example of a check is
    recorded with them; when no named mistake explains a failure, the report says
    which feature separates the passing examples from the failing ones. A feature's
    name is a key of the texts ``feature.<name>`` (what is true) and
    ``feature.<name>.not`` (what is true otherwise)."""

    def __init__(self):
        self._by: dict[tuple[str, str], object] = {}

    def declare(self, topic: str, table: dict) -> None:
        for function, compute in table.items():
            self._by[(topic, function)] = compute

    def of(self, topic: str, function: str, args, graph=None) -> dict:
        """The declared features of a call; for a call on a graph, also the graph's own."""
        found = graph_features(graph) if graph else {}
        compute = self._by.get((topic, function))
        if compute is None:
            return found
        try:
            return found | {name: bool(v) for name, v in compute(*args).items()}
        except Exception:  # an input a feature cannot be read from: no profile from it
            return found


def graph_features(graph: dict) -> dict:
    """Features of a graph recipe (gradkit.untrusted.recipes): a node used twice (shared),
    a leaf whose .grad is already filled, a lone node."""
    nodes = graph.get("nodes") or []
    uses: dict[int, int] = {}
    for node in nodes:
        for i in node.get("args") or []:
            if isinstance(i, int):
                uses[i] = uses.get(i, 0) + 1
    return {"shared_node": any(n > 1 for n in uses.values()),
            "grad_filled": any(node.get("grad") for node in nodes if node.get("op") == "leaf"),
            "one_node": len(nodes) == 1}


FEATURES = Features()


def has_zero(t) -> bool:
    return isinstance(t, torch.Tensor) and bool((t.detach() == 0).any())


def size(t, dim: int = 0) -> int | None:
    return t.shape[dim] if isinstance(t, torch.Tensor) and t.dim() > dim else None
