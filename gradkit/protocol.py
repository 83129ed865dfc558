"""The worker protocol: what the grader asks a worker, and what comes back, as types.

The messages cross the process boundary through ``gradkit/untrusted/wire.py`` (a JSON
header plus raw tensor bytes; no pickle) over ``gradkit/untrusted/channel.py``. They
are plain dicts on the wire; these TypedDicts name their keys in one place.

Who writes and who reads each one:

- ``CallRequest``: written by ``Submission.call`` (gradkit/untrusted/sandbox.py),
  read by ``_handle``/``_call``/``_arguments`` (gradkit/untrusted/worker.py); built from
  ``Case.run`` (checks/expect.py), which also keys the shrink budget on it
  (gradkit/shrink_budget.py). ``PingRequest``: the sandbox's liveness probe.
- ``VjpProbe`` (``CallRequest["vjp"]``): written by checks (checks/detach.py), read by
  ``_vjp`` (worker.py); its answer is ``VjpFacts``.
- ``OkReply`` / ``ErrorReply``: written by ``_call``/``_error`` (worker.py), read by
  ``Submission.call`` (sandbox.py), which turns an ``ErrorReply`` into a student error
  through ``render_error`` and an ``OkReply`` into a ``Reply`` (value, facts).
- ``Facts``: written by ``_call`` (worker.py), read by the checks through
  ``Reply.facts`` (checks/contract.py rule checks, checks/graph_leaves.py,
  checks/grad_accumulation.py, checks/detach.py, checks/retain_graph.py,
  checks/pictures.py) and ``Reply.mutated`` (sandbox.py). Watch names come from
  ``gradkit/untrusted/watch.py`` (``autograd_used``, ``optim_used``, ``is_leaf_read``).
- ``GradFacts``: one per tensor argument in ``Facts["arg_grads"]``, keyed by its path
  (``"1"``, or ``"0.2"`` for the third tensor of a list argument); ``_grad_facts``.
- ``Drawing``: ``Facts["drawing"]``, from ``gradkit/untrusted/drawing.py``; read by
  checks/pictures.py and the HTML report.

Every request carries ``seq``, a number the grader's ``Worker`` takes from an unguessable
start and counts up; the worker's reply frame is signed over it (``channel.sign``), so a
reply counts only for the request it answers.

Nothing here is enforced at run time: the worker is untrusted, so the grader checks
every value it reads (types, sizes) where it reads it.
"""

from __future__ import annotations

import sys
from typing import Any, Literal, TypedDict, Union

if sys.version_info >= (3, 11):  # a version check, which mypy follows (a try/except it does not)
    from typing import NotRequired
else:  # Python 3.10
    from typing_extensions import NotRequired

# A recipe node reference: one node index, or a list of them (``recipes.pick``).
NodeRef = Union[int, list[int]]


class PingRequest(TypedDict):
    op: Literal["ping"]
    seq: NotRequired[int]  # added by Worker.request


class VjpProbe(TypedDict):
    wrt: int            # the argument to differentiate with respect to
    cotangent: Any      # torch.Tensor: the upstream gradient, shaped like the returned value


class CallRequest(TypedDict):
    op: Literal["call"]
    seq: NotRequired[int]  # added by Worker.request: the reply is signed over it
    path: str           # the module's file, as the worker sees it
    module: str         # the topic, e.g. "gd_loop"
    function: str
    args: list[Any]     # plain data: tensors, numbers, bools, strings, lists, None
    leaves: list[int]   # argument indices made fresh leaves requiring grad
    graph: NotRequired[dict[str, Any]]     # a recipe (gradkit/untrusted/recipes.py)
    bind: NotRequired[dict[str, NodeRef]]  # argument index (as a string) -> node(s)
    vjp: NotRequired[VjpProbe]
    draw: NotRequired[bool]
    names: NotRequired[list[str]]  # the parameters' names, for the drawing
    functions: NotRequired[dict[str, dict[str, Any]]]  # argument index (as a string) -> recipes.function spec


class LoadRequest(TypedDict):
    """The import alone, sent before a worker's first call where the kernel counts engine
    runs (gradkit/untrusted/engine_probe.py): what the import runs is then no call's."""
    op: Literal["load"]
    seq: NotRequired[int]
    path: str
    module: str


Request = Union[CallRequest, PingRequest, LoadRequest]


class GradFacts(TypedDict):
    grad: Any                   # torch.Tensor | None: the argument's .grad after the call
    grad_requires_grad: bool
    grad_has_grad_fn: bool
    same_object: bool           # .grad is the very tensor it was before the call


class VjpFacts(TypedDict, total=False):
    grad: Any                   # torch.Tensor | None
    problem: Literal["not_tensor", "no_grad_fn", "shape", "raised"]
    message: str                # with problem "raised"


class Drawing(TypedDict):
    text: str
    dot: str
    nodes: int


class Facts(TypedDict):
    mutated: list[int]          # argument indices whose values the call changed
    autograd_used: bool         # the engine ran (watch.AutogradWatch, or watch.EngineLedger's count)
    optim_used: bool            # watch.OptimizerWatch saw a torch.optim optimizer built
    is_leaf_read: bool          # watch.AttributeReadWatch("is_leaf")
    process_started: bool       # integrity.ProcessWatch: a process or ctypes during the call
    backward_calls: int         # backward passes in the call (the most any watch counted)
    arg_grads: dict[str, GradFacts]
    vjp: NotRequired[VjpFacts]
    drawing: NotRequired[Drawing]
    inputs_digest: list[str | None]  # each tensor argument after the call, wire.digest, for integrity.screen
    audit: NotRequired[list[dict[str, Any]]]  # integrity.AuditLog events while it ran (added by serve)
    tampered: NotRequired[list[str]]  # what of the harness the call replaced (added by serve)
    # "kernel" where the grader put the kernel's engine count in autograd_used and
    # backward_calls (engine_probe.EngineWitness.judge, in the grader, after the reply)
    rules_observed_by: NotRequired[str]


class ErrorWhere(TypedDict):
    file: str
    line: int
    code: str


class ErrorInfo(TypedDict):
    kind: str       # verdicts' error kinds: "exception", "timeout", "not_implemented", ...
    key: str        # the message's key in gradkit/texts/messages.toml
    params: dict[str, Any]  # its placeholders (may hold "where": ErrorWhere)


class OkReply(TypedDict):
    ok: Literal[True]
    value: NotRequired[Any]     # absent for a ping
    facts: NotRequired[Facts]


class IntegrityFacts(TypedDict):
    audit: list[dict[str, Any]]
    tampered: list[str]


class ErrorReply(TypedDict):
    ok: Literal[False]
    error: ErrorInfo
    facts: NotRequired[IntegrityFacts]  # serve adds audit and tampered to every reply


Reply = Union[OkReply, ErrorReply]
