"""Calling the student's function on one input and judging the answer.

A ``Case`` is one call with named inputs. Every way of failing goes through
it, so each failure carries the inputs, the expected value and what came
back, and the reporters can show the smallest failing call in plain words.
"""

from __future__ import annotations

import torch

from checks.diagnose import FEATURES, all_matches, first_error_match, when
from checks.families import Raised, judge
from checks import variants  # noqa: F401  (registers every function's wrong variants)
from checks.tolerance import close_pairs, float32_inside, kind_of, tensor_problem
from gradkit.testing import EVIDENCE
from gradkit.testing import catalog, describe
from gradkit.testing import BUDGET
from gradkit.testing import recipes
from gradkit.testing import text
from gradkit.testing import STUDENT_ERRORS, CheckFailure


class Case:
    """One call. Arguments that are nodes of an autograd graph are given as a
    recipe (``graph``) and ``bind`` ({argument index: node or [nodes]}); the
    worker builds the graph, and the feedback shows it as code (``t0``, ``t1``...)."""

    def __init__(self, student, topic: str, function: str, *args, graph=None, bind=None,
                 diagnoses=()):
        self.student = student
        self.diagnoses = list(diagnoses)  # checks.diagnose: the mistakes this case can name
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
        # One example of the check's evidence (gradkit.evidence): its key and features.
        self.key = self.label + "\n" + str(self.shown.get("graph", ""))
        EVIDENCE.seen(self.key, FEATURES.of(topic, function, self.args, graph))

    @property
    def label(self) -> str:
        """The call as the feedback shows it (made once: tensors in words cost time)."""
        shown = list(self.inputs.items())  # a check may change an input's words after __init__
        if self._label is None or len(shown) != len(self._label[0]) or any(
                k != j or v is not w for (k, v), (j, w) in zip(shown, self._label[0])):
            self._label = (shown, describe.call(self.function, self.inputs))
        return self._label[1]

    _label: tuple[list, str] | None = None

    def build(self) -> list[torch.Tensor]:
        """The graph's nodes, built here in the grader: the truth to compare with."""
        return recipes.build(self.graph)

    def bound(self, nodes: list[torch.Tensor]) -> list:
        """The call's arguments with graph nodes in place, as the worker binds them."""
        args = list(self.args)
        for index, ref in self.bind.items():
            args[index] = recipes.pick(nodes, ref)
        return args

    def run(self, leaves=(), vjp=None, draw=False, functions=None):
        """The student's answer. Within a property check the call goes through the
        shrink budget (``gradkit.shrink_budget``): same request, same outcome, and
        a bounded number of new calls once the check has failed. ``functions``:
        {argument index: spec} of callables the worker builds (``recipes.function``)."""
        bind = self.bind if self.graph else None
        names = list(self.inputs) if draw else None
        request = {"topic": self.topic, "function": self.function, "args": list(self.args),
                   "leaves": list(leaves), "graph": self.graph,
                   "bind": {str(k): v for k, v in (bind or {}).items()}, "vjp": vjp,
                   "draw": names, "functions": functions}
        try:
            outcome = BUDGET.call(request, lambda: self.student.call(
                self.topic, self.function, self.args, leaves=leaves, graph=self.graph,
                bind=bind, vjp=vjp, draw=names, label=self.label,
                **({"functions": functions} if functions else {})))
            EVIDENCE.ran(self.key)  # answered (a call past the shrink budget never is)
            return outcome
        except STUDENT_ERRORS as exc:
            BUDGET.failed()
            EVIDENCE.failed(self.key)
            if exc.kind == "exception":  # an error raised is an answer the variants may predict
                EVIDENCE.answered(self.key, judge(self.topic, self.function, self._judged_args(),
                                                  Raised(exc.message)), wrong=True)
            exc.case = self
            exc.inputs = self.shown
            exc.misconception = first_error_match(self.diagnoses, exc.message)
            raise

    def fail(self, message: str, expected=None, got=None, misconception=None, names=None):
        """Fail with ``message``; unless the check names the mistake itself, the case's
        diagnoses try to, from the expected and returned values. Every id that explains
        this answer is kept (``candidates``); the plugin names one only if it explains
        every failing example of the function it was tried on (``gradkit.evidence``)."""
        candidates, parts = [], {}
        if misconception is None and (expected is not None or got is not None):
            candidates = all_matches(self.diagnoses, got, expected)
            for d in self.diagnoses:
                if d.id in candidates and d.id not in parts:
                    parts[d.id] = d.parts(got, expected, names)
            misconception = candidates[0] if candidates else None
            EVIDENCE.failed(self.key, [d.id for d in self.diagnoses], candidates)
        else:
            EVIDENCE.failed(self.key)
        BUDGET.failed()
        failure = CheckFailure(f"{self.label}: {message}", inputs=self.shown, expected=expected,
                               got=got, misconception=misconception, call=self.label)
        failure.candidates = candidates
        failure.parts = parts
        failure.case = self  # the counterexample itself, for the pictures (checks/pictures.py)
        failure.verify = bool(candidates)  # a diagnosis from values: checked on every example
        failure.answered = self._answering  # a wrong value (the variants judge it: families.py)
        if self._answering:
            EVIDENCE.wrong_value(self.key, failure)
            self._answering = False
        raise failure

    _answering = False  # inside expect_tensor(s): the answer compared is the one recorded
    # What the variants are given instead of the call's arguments, where the answer compared
    # is not the call's value (a gradient reaching x: checks/variants.py, Upstream).
    judged_args: list | None = None

    def _answer(self, got, scale: float | None = None) -> None:
        """Record this example's answer for the wrong variants of the reference to judge
        (on a graph: the nodes bound in place, the graph built anew for each variant)."""
        self._answering = True
        EVIDENCE.answered(self.key, judge(self.topic, self.function, self._judged_args(), got,
                                          scale))

    def _judged_args(self):
        """What the variants are given: ``judged_args`` where set, else the call's arguments
        (on a graph, the nodes bound in place: built anew for each variant)."""
        if self.judged_args is not None:
            return self.judged_args
        return (lambda: self.bound(self.build())) if self.graph else self.args

    # -- judging answers -------------------------------------------------

    def expect_tensor(self, got, expected: torch.Tensor, what: str | None = None,
                      scale: float | None = None):
        """Exact shape, dtype and device, then values within tolerance."""
        self._answer(got, scale)
        problem = tensor_problem(got, expected, what or text("what.result"), scale)
        if problem:
            self._precision_diagnosis(expected)
            self.fail(problem, expected, got)
        self._answering = False  # a later failure of this case is not about this value

    def expect_tensors(self, got, expected: tuple, names: tuple[str, ...], scale=None):
        """A tuple of tensors; a failure shows the whole tuples, expected and got."""
        self._answer(got, scale)
        if not isinstance(got, (tuple, list)):
            self.fail(text("expect.tuple_type", n=len(expected), names=", ".join(names),
                           kind=kind_of(got)), expected, got)
        if len(got) != len(expected):
            self.fail(text("expect.tuple_len", n=len(expected), names=", ".join(names),
                           m=len(got)), expected, got)
        for g, e, name in zip(got, expected, names):
            problem = tensor_problem(g, e, name, scale)
            if problem:
                self._precision_diagnosis(e)
                self.fail(problem, expected, tuple(got), names=names)
        self._answering = False

    def _precision_diagnosis(self, expected):
        """A float64 answer right to float32's precision only (computed in float32 inside),
        or right to 0.1 % but not better (an approximation where the exact value is asked)."""
        if isinstance(expected, torch.Tensor) and expected.dtype == torch.float64 and \
                not any(d.id == "float32_inside" for d in self.diagnoses):
            self.diagnoses.append(when("float32_inside", float32_inside))
            self.diagnoses.append(when("approximation_not_exact", lambda got, want: (
                close_pairs(got, want, 1e-3) and not float32_inside(got, want))))

    def expect_list(self, got, expected: list, what: str, item: type, misconception=None):
        """A list of plain values (names, bools), equal item by item."""
        if isinstance(got, tuple):
            got = list(got)
        self._answer(got)
        if not isinstance(got, list) or not all(type(g) is item for g in got):
            odd = got if not isinstance(got, list) else next(g for g in got if type(g) is not item)
            self.fail(text("expect.list_type", item=item.__name__, kind=kind_of(odd)), expected, got)
        if got == expected:
            self._answering = False
            return
        first = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e),
                     min(len(got), len(expected)))
        if len(got) != len(expected) and first == min(len(got), len(expected)):
            message = text("expect.list_len", what=what, m=len(got), n=len(expected))
        else:
            message = text("expect.list_item", what=what, i=first, got=repr(got[first]),
                           expected=repr(expected[first]))
        self.fail(message, expected, got, misconception)

    def expect_bool(self, got, expected: bool):
        self._answer(got)
        if isinstance(got, torch.Tensor) and got.dim() == 0 and got.dtype == torch.bool:
            self.fail(text("expect.bool_tensor"), expected, got)
        if type(got) is not bool:
            self.fail(text("expect.bool_type", kind=kind_of(got)), expected, got)
        if got != expected:
            self.fail(text("expect.bool_value", got=got, expected=expected), expected, got)
        self._answering = False


def run_or_try_next(case: Case, next_case, judge_answer, **run) -> object:
    """The student's answer for ``case``; if the call raises, ``judge_answer`` is also run on
    ``next_case()`` (the next-larger input of the same kind) before the error is raised
    again: the smallest inputs of a mistake may only raise, and the diagnosis needs a value
    (gradkit.plugin shows that example, named, beside a note that the smaller one raised)."""
    try:
        return case.run(**run).value
    except STUDENT_ERRORS as exc:
        if getattr(exc, "kind", None) == "exception":
            larger = next_case()
            try:
                judge_answer(larger, larger.run(**run).value)
            except (CheckFailure, *STUDENT_ERRORS):
                pass  # recorded in the evidence; the verdict stays the smaller input's error
        raise


def case_factory(topic: str, diagnoses: dict):
    """``make(student, function, args)``: a Case with the diagnoses that
    ``diagnoses[function](*args)`` lists for those arguments."""
    def make(student, function: str, args) -> Case:
        found = diagnoses.get(function)
        return Case(student, topic, function, *args, diagnoses=found(*args) if found else ())
    return make


def tensor(values, dtype, device) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, device=device)
