"""Pictures for the report: the student's autograd graph next to the reference's,
and for the training loops, loss curves and parameter paths.

Not graded: each picture test calls the student's function once on a worked
example with ``draw`` on (the worker draws the graph its code built) and builds
the reference's graph here in the grader, with the same drawing code. A
function that fails to run simply gets no student picture.
"""

from __future__ import annotations

import pytest
import torch

from checks import engine_pictures
from checks.expect import Case, tensor
from checks.gd_loop import gd_ref, sgd_ref
from checks.graph_leaves import NAMES_EXAMPLES, SEEDS_GRAPH, UNUSED_LEAF
from checks.recipe_strategies import leaf, op, recipe
from gradkit.testing import drawing, recipes
from gradkit.testing import backward_roots
from gradkit.testing import STUDENT_ERRORS
from gradkit.answers import answer

F32 = torch.float32


def _t(values):
    return tensor(values, F32, "cpu")


# -- graph references: how the reference solution builds (or leaves) its graph ------------

@answer("intermediate_grad")
def _intermediate(x):
    y = x ** 2
    y.retain_grad()
    (y ** 2).sum().backward()


@answer("backward_twice")
def _twice(z, x):
    z.backward(retain_graph=True)
    z.backward()


@answer("two_losses_grads")
def _two_losses(loss1, loss2, W):
    loss1.backward(retain_graph=True)
    loss2.backward()


@answer("second_derivative")
def _second(coeffs, x):
    xs = x.detach().clone().requires_grad_(True)
    p = torch.zeros_like(xs)
    for c in reversed(coeffs):
        p = p * xs + c
    (dp,) = torch.autograd.grad(p.sum(), xs, create_graph=True)
    torch.autograd.grad(dp.sum(), xs)


@answer("accumulated_grad")
def _accumulated(X, y, w, micro_batch):
    for i in range(0, X.shape[0], micro_batch):
        (((X[i:i + micro_batch] @ w - y[i:i + micro_batch]) ** 2).sum() / X.shape[0]).backward()


@answer("grads_without_zeroing")
def _without_zeroing(x, k):
    for _ in range(k):
        (x ** 2).sum().backward()


@answer("zero_grad")
def _zero_grad(params, set_to_none):
    from checks.grad_accumulation import reference_zero_grad
    reference_zero_grad(params, set_to_none)


@answer("stop_gradient_grads")
def _stop_gradient(a, b):
    ((a - b.detach()) ** 2).mean().backward()


@answer("predict")
def _predict(w, b, x):
    with torch.no_grad():
        return w * x + b


@answer("frozen_step")
def _frozen(W1, W2, X, y, lr):
    torch.autograd.grad((((X @ W1.detach().T) @ W2 - y) ** 2).mean(), W2)


@answer("straight_through_round")
def _straight_through(x):
    return x + (torch.round(x) - x).detach()


def _given(*args):
    """The graph it was given, as it was (is_leaf, grad_fn_names, leaves_receiving_grad)."""
    return args[0]


SHARED = [leaf([[0.5, -1.0], [1.0, 0.25]], True), leaf([1.0, 2.0]), op("matmul", 0, 1),
          op("tanh", 2), op("sum", 3), op("pow", 3, k=2), op("mean", 5)]

# function -> (topic, arguments, graph recipe or None, bind, leaves, reference). The references
# are marked answers: the student bundle has the reference pictures of the worked examples only.
GRAPH_PICTURES = {
    "is_leaf": ("graph_leaves", [None], SEEDS_GRAPH, {0: 6}, (), _given),
    "grad_fn_names": ("graph_leaves", [None], NAMES_EXAMPLES["branches"][0], {0: 4}, (), _given),
    "leaves_receiving_grad": ("graph_leaves", [None, None], UNUSED_LEAF, {0: 4, 1: [0, 1, 2, 3]},
                              (), _given),
    "intermediate_grad": ("graph_leaves", [_t([1.0, 2.0])], None, {}, (0,), _intermediate),
    "backward_twice": ("retain_graph", [None, None], [leaf(1.0, True), op("pow", 0, k=2)],
                       {0: 1, 1: 0}, (), _twice),
    "two_losses_grads": ("retain_graph", [None, None, None], SHARED, {0: 4, 1: 6, 2: 0}, (),
                         _two_losses),
    "second_derivative": ("retain_graph", [_t([0.0, 0.0, 0.0, 1.0]), _t([0.0, 1.0, 2.0])],
                          None, {}, (), _second),
    # Grads made with create_graph=True: zero_grad must leave no graph on them.
    "zero_grad": ("grad_accumulation", [None, False],
                  [leaf([1.0, 2.0], True, grad="graph", grad_value=[1.0, -1.0]),
                   leaf([0.5], True, grad="plain", grad_value=[2.0])], {0: [0, 1]}, (),
                  _zero_grad),
    "accumulated_grad": ("grad_accumulation", [_t([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                                               _t([1.0, 2.0, 0.0]), _t([0.5, -0.5]), 2],
                         None, {}, (2,), _accumulated),
    "grads_without_zeroing": ("grad_accumulation", [_t([1.0, 2.0]), 2], None, {}, (0,),
                              _without_zeroing),
    "stop_gradient_grads": ("detach", [_t([1.0, 2.0]), _t([0.0, 1.0])], None, {}, (0, 1),
                            _stop_gradient),
    "straight_through_round": ("detach", [_t([0.4, 2.5])], None, {}, (0,),
                               _straight_through),
    "predict": ("detach", [_t(2.0), _t(1.0), _t([1.0, 2.0])], None, {}, (0, 1), _predict),
    "frozen_step": ("detach", [_t([[1.0, 0.5]]), _t([1.0]), _t([[1.0, 2.0], [0.0, 1.0]]),
                               _t([0.0, 1.0]), 0.1], None, {}, (0, 1), _frozen),
    "gradient_descent": ("gd_loop", [_t([1.0, 3.0]), _t([2.0, 4.0]), _t(0.0), _t(0.0), 0.01, 3],
                         None, {}, (), gd_ref),
}


def graph_pair(student, function: str, counterexample=None) -> dict:
    """{"student": drawing, "reference": drawing, "call": the call drawn}: for the
    counterexample the report shows (a Case), else for the function's worked example."""
    topic, args, nodes, bind, leaves, _ = GRAPH_PICTURES[function]
    graph = recipe(nodes, "cpu", "float32") if nodes else None
    if counterexample is not None:
        args, graph, bind = list(counterexample.args), counterexample.graph, counterexample.bind
    case = Case(student, topic, function, *args, graph=graph, bind=bind)
    try:
        mine = case.run(leaves=leaves, draw=True).facts.get("drawing") or {}
    except STUDENT_ERRORS as exc:
        mine = {"text": "", "dot": "", "error": exc.message}
    return {"student": mine, "reference": reference_drawing(function, list(args), graph, bind),
            "call": case.label, "counterexample": counterexample is not None}


@answer("pictures")
def reference_drawing(function: str, args: list, graph, bind) -> dict:
    """The reference's graph for this call, drawn (plain strings: what the bundle keeps of
    the worked examples)."""
    topic, _, _, _, leaves, reference = GRAPH_PICTURES[function]
    case = Case(None, topic, function, *args, graph=graph, bind=bind)
    built = case.build() if graph else []
    ref_args = case.bound(built) if graph else [
        a.detach().clone().requires_grad_(i in leaves) if isinstance(a, torch.Tensor) else a
        for i, a in enumerate(args)]
    names = {id(t): recipes.name(i) for i, t in enumerate(built)}
    names.update({id(a): n for n, a in zip(case.inputs, ref_args) if isinstance(a, torch.Tensor)})
    with backward_roots() as found:
        value = reference(*ref_args)
    tensors = [t for a in ref_args for t in (a if isinstance(a, list) else [a])
               if isinstance(t, torch.Tensor)]
    return dict(drawing.drawing(drawing.pick_roots(found.roots, value, tensors), names))


# -- training curves: losses per step and the path of the parameters ----------------------

def _mse(X, y, w, b):
    return ((X @ w + b - y) ** 2).mean().item()


CURVES = {
    # The seeds' SSE example scaled to a mean: samples (1, 2) and (3, 4), from w = b = 0.
    "gradient_descent": ("gd_loop", [_t([1.0, 3.0]), _t([2.0, 4.0]), _t(0.0), _t(0.0), 0.05], 12),
    "minibatch_sgd": ("gd_loop", [_t([[1.0], [3.0], [2.0]]), _t([2.0, 4.0, 3.0]), _t([0.0]),
                                  _t(0.0), 0.05], 10),
}


def curve_pair(student, function: str) -> dict:
    """Loss per step and (w, b) after each step, the student's and the reference's.

    The path comes from runs of 1, 2, ... steps (epochs); the losses are those the
    function itself recorded (gradient_descent) or the full-batch loss at each point."""
    topic, args, steps = CURVES[function]
    start = [float(args[2].reshape(-1)[0]), float(args[3])]
    paths = {"student": [start], "reference": [start]}
    losses = {"student": [], "reference": []}
    for k in range(1, steps + 1):
        call = args + ([k] if function == "gradient_descent" else [k, 2])
        reference = (gd_ref if function == "gradient_descent" else sgd_ref)(*call)
        paths["reference"].append(_point(reference))
        try:
            got = Case(student, topic, function, *call).run().value
            paths["student"].append(_point(got))
        except (*STUDENT_ERRORS, TypeError, IndexError, ValueError, RuntimeError):
            break  # the student's path stops where their code stopped giving (w, b)
    if function == "gradient_descent":
        losses["reference"] = gd_ref(*args, steps)[2].tolist()
        try:
            recorded = Case(student, topic, function, *args, steps).run().value[2]
            losses["student"] = [float(v) for v in recorded.reshape(-1)]
        except (*STUDENT_ERRORS, TypeError, IndexError, ValueError, AttributeError):
            pass
    else:
        for who in paths:
            for w, b in paths[who]:
                X = args[0] if args[0].dim() == 2 else args[0][:, None]
                losses[who].append(_mse(X, args[1], torch.tensor([w]), torch.tensor(b)))
    return {"losses": losses, "paths": paths, "parted_at": _parting(paths, losses)}


def _point(value) -> list[float]:
    w, b = value[0], value[1]
    return [float(w.reshape(-1)[0]), float(b)]


def _parting(paths, losses) -> int | None:
    """The first step k (1-based) after which the student's run differs from the
    reference's: its recorded loss at step k, or its (w, b) after k steps."""
    def differ(a, b):
        return a is None or b is None or abs(a - b) > 1e-3 * (1 + abs(b))
    for k in range(1, len(paths["reference"])):
        mine_loss = _at(losses["student"], k - 1)
        ref_loss = _at(losses["reference"], k - 1)
        mine, ref = _at(paths["student"], k), paths["reference"][k]
        if differ(mine_loss, ref_loss) or mine is None or any(map(differ, mine, ref)):
            return k
    return None


def _at(values, i):
    return values[i] if i < len(values) else None


# -- the picture "checks": run only when the report wants pictures, never graded ----------

# function -> (topic, drawer(student, counterexample Case or None)): graphs drawn by checks
# of their own (the engine's: a gradient on every node).
OWN_PICTURES = {"backward": ("engine", engine_pictures.backward_pair)}


def _picture_params() -> list[tuple[str, str]]:
    topic = {f: GRAPH_PICTURES[f][0] for f in GRAPH_PICTURES} | {
        f: CURVES[f][0] for f in CURVES} | {f: OWN_PICTURES[f][0] for f in OWN_PICTURES}
    return [(topic[f], f) for f in dict.fromkeys([*GRAPH_PICTURES, *CURVES, *OWN_PICTURES])]


def _graph_drawer(student, function):
    """``shown -> {"student", "reference", ...}`` for a function with graph pictures."""
    if function in GRAPH_PICTURES:
        return lambda shown=None: graph_pair(student, function, shown)
    if function in OWN_PICTURES:
        return lambda shown=None: OWN_PICTURES[function][1](student, shown)
    return None


def _draw(student, pictures, topic, function):
    if pictures is None or topic not in pictures.topics:
        return
    found = {}
    pair = _graph_drawer(student, function)
    if pair is not None:
        shown = pictures.counterexample(topic, function) if hasattr(pictures, "counterexample") else None
        try:
            found["graphs"] = pair(shown)
        except (Exception, pytest.skip.Exception):
            # a counterexample the reference cannot replay (or, in the student bundle, one
            # whose reference picture is not there): the worked example
            if shown is None:
                raise
            found["graphs"] = pair()
    if function in CURVES:
        found["curves"] = curve_pair(student, function)
    pictures.store(topic, function, found)


def test_picture(student, pictures, topic_function):
    _draw(student, pictures, *topic_function)


def pytest_generate_tests(metafunc):
    if "topic_function" in metafunc.fixturenames:
        params = _picture_params()
        metafunc.parametrize("topic_function", params, ids=[f for _, f in params])
