"""Checks for engine (自己写反向传播引擎): the student's reverse-mode engine over a graph
given as plain data (checks/engine_graphs.py), held against torch autograd on the same graph."""

from __future__ import annotations

import pytest
import torch

from hypothesis import strategies as st
from hypothesis import reject
from hypothesis.control import current_build_context, currently_in_test_context

from checks import engine_graphs as eg
from checks import engine_pictures
from checks import plain_arrays as plain
from checks.contract import rule_check, untouched_check
from checks.diagnose import FEATURES, approx, when
from checks.expect import Case
from checks.tolerance import tensor_problem
from gradkit.testing import given, describe
from gradkit.answers import answer, kit_only
from gradkit.testing import text
from gradkit.testing import BUDGET, STUDENT_ERRORS
from gradkit.shrink_budget import SHRINK_CALLS
from gradkit.testing import recipes

TOPIC = "engine"


# -- vjp: one op, drawn shapes (broadcasting both ways, 0-d), random upstream gradients ----

@st.composite
def vjp_cases(draw, op):
    """(spec of a two- or three-node graph, upstream gradient as a list): ``op`` on leaves
    in every broadcasting pattern (checks/engine_graphs.py, op_graph)."""
    spec = draw(eg.op_graph(op, upstream=True))
    return {**spec, "grad_root": None}, spec["grad_root"]


def vjp_reference(spec, grad_out, dtype, device):
    tensors = eg.build(spec, dtype, device, grad=True)
    node = spec["nodes"][-1]
    inputs = [tensors[i] for i in node["inputs"]]
    if node["op"] == "detach":
        return (None,)
    out = tensors[-1]
    grads = torch.autograd.grad(out, inputs, grad_out, allow_unused=True)
    return tuple(torch.zeros_like(x) if g is None else g.detach() for x, g in zip(inputs, grads))


def vjp_diagnoses(spec, g, dtype, device):
    node = spec["nodes"][-1]
    values = eg.build(spec, dtype, device)
    inputs = [values[i] for i in node["inputs"]]
    op, out = node["op"], values[-1]
    found = [when("no_broadcast_reduction", lambda got, expected: _unreduced(got, expected, out))]
    if op == "matmul":
        found.append(when("matmul_wrong_side", _transposed_component))
    if op == "pow":
        a, k = inputs[0], node["k"]
        wrong = [g * k * a ** k, g * k * a ** (k - 2), g * (k - 1) * a ** (k - 1),
                 g * (k + 1) * a ** k, g * (k - 1) * a ** (k - 2), g * a ** (k - 1)]
        found.append(when("pow_off_by_one", lambda got, expected: any(
            approx(got, (w,)) for w in wrong)))
    if op == "tanh":
        y = out
        found.append(when("tanh_derivative_as_tanh", lambda got, expected: any(
            approx(got, (w,)) for w in (g * y, g * (1 - y), g * y * y))))
    if op == "sigmoid":
        x = inputs[0]
        found.append(when("sigmoid_derivative_from_input", lambda got, expected: approx(
            got, (g * x * (1 - x),))))
    if op == "mean":
        n = inputs[0].numel()
        wrong_counts = [d for d in {1, *inputs[0].shape} if d != n]
        found.append(when("mean_grad_not_divided", lambda got, expected: any(
            approx(got, (expected[0] * (n / d),)) for d in wrong_counts)))
    if op in ("sub", "div"):
        found.append(when("vjp_sign_dropped", _one_negated))
    if op == "relu":
        found.append(when("relu_grad_at_zero", lambda got, expected: approx(
            got, (g * (inputs[0] >= 0).to(g.dtype),))))
    if op == "detach":
        found.append(when("grad_through_detach", lambda got, expected: isinstance(
            got, (tuple, list)) and len(got) == 1 and isinstance(got[0], torch.Tensor)))
    return found


def _one_negated(got, expected):
    """One input's gradient is the negative of the right one, the others right."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return False
    flipped = [isinstance(gg, torch.Tensor) and bool(e.abs().max() > 0) and approx(gg, -e)
               for gg, e in zip(got, expected)]
    return any(flipped) and all(f or approx(gg, e) for f, gg, e in zip(flipped, got, expected))


def _unreduced(got, expected, out):
    """A gradient shaped like the op's (broadcast) result where its input is smaller, or
    summed right but keeping the broadcast's leading dimensions as 1s."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return False
    return any(isinstance(gg, torch.Tensor) and isinstance(e, torch.Tensor)
               and tuple(gg.shape) != tuple(e.shape)
               and (tuple(gg.shape) == tuple(out.shape)
                    or (gg.dim() > e.dim() and gg.numel() == e.numel()
                        and approx(gg.reshape(e.shape), e)))
               for gg, e in zip(got, expected))


def _transposed_component(got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return False
    wrong = False
    for gg, e in zip(got, expected):
        if not isinstance(gg, torch.Tensor):
            return False
        if approx(gg, e):
            continue
        if gg.dim() == 2 and e.dim() == 2 and approx(gg.t(), e):
            wrong = True
        else:
            return False
    return wrong


def _show_graph(case: Case, spec: dict, dtype) -> None:
    """The failing graph as the torch code that builds it (``nodes[i]`` is ``t{i}``)."""
    case.shown = {"graph": describe.Code(eg.as_code(spec, dtype))} | case.inputs


def vjp_case(student, spec, g, dtype, device):
    values = eg.student_graph(spec, dtype, device)
    node = values[-1]
    inputs = [values[i]["value"] for i in node["inputs"]]
    grad_out = torch.tensor(g, dtype=dtype, device=device)
    case = Case(student, TOPIC, "vjp", node, inputs, grad_out,
                diagnoses=vjp_diagnoses(spec, grad_out, dtype, device))
    case.inputs["node"] = describe.Code(f"nodes[{len(values) - 1}]")
    case.inputs["inputs"] = describe.Code(
        "[" + ", ".join(f"t{i}" for i in node["inputs"]) + "]")
    _show_graph(case, {k: v for k, v in spec.items() if k != "root"}, dtype)
    return case, grad_out


@pytest.mark.grades(TOPIC, "vjp")
@pytest.mark.parametrize("op", eg.BINARY + tuple(o for o in eg.UNARY if o != "detach"))
@given(data=st.data())
def test_vjp_matches_autograd(student, device, dtype, op, data):
    """Each input's gradient equals torch.autograd.grad's for that op and upstream
    gradient, shaped exactly like the input (summed over broadcast dimensions)."""
    spec, g = data.draw(vjp_cases(op), label="case")
    case, grad_out = vjp_case(student, spec, g, dtype, device)
    expected = vjp_reference(spec, grad_out, dtype, device)
    names = tuple(f"grad of input {i}" for i in range(len(expected)))
    case.expect_tensors(case.run().value, expected, names)


@pytest.mark.grades(TOPIC, "vjp")
def test_vjp_detach_is_none(student, device, dtype):
    """detach passes no gradient: vjp returns (None,)."""
    spec = {"nodes": [{"op": "leaf", "value": [1.0, -2.0], "requires_grad": True},
                      {"op": "detach", "inputs": [0]}], "grad_root": None}
    case, _ = vjp_case(student, spec, [0.7, -1.3], dtype, device)
    got = case.run().value
    if not (isinstance(got, (tuple, list)) and len(got) == 1 and got[0] is None):
        case.fail(text("engine.detach_vjp"), (None,), got)


@pytest.mark.grades(TOPIC, "vjp")
@pytest.mark.parametrize("op, value", [("relu", [0.0, -0.0, 1.0, -1.0]), ("pow", [0.0, 2.0])])
def test_vjp_at_edges(student, device, dtype, op, value):
    """relu's gradient at exactly 0 is 0; x ** 0 has gradient 0 everywhere (also at 0)."""
    leaf = {"op": "leaf", "value": value, "requires_grad": True}
    node = {"op": op, "inputs": [0]} | ({"k": 0} if op == "pow" else {})
    spec = {"nodes": [leaf, node], "grad_root": None}
    g = [0.7, -1.3, 1.1, 0.4][:len(value)]
    case, grad_out = vjp_case(student, spec, g, dtype, device)
    case.expect_tensors(case.run().value, vjp_reference(spec, grad_out, dtype, device),
                        ("grad of input 0",))


# -- topo_order: by its defining property ---------------------------------------------------

@answer("topo_order")  # sorted high to low, it is one
def reachable(nodes: list[dict], root: int) -> set[int]:
    flags = eg.requires_grad(nodes)
    seen, todo = set(), [root]
    while todo:
        i = todo.pop()
        if i in seen or not flags[i]:
            continue
        seen.add(i)
        if nodes[i]["op"] != "detach":
            todo.extend(nodes[i].get("inputs", []))
    return seen


def topo_problem(got, nodes: list[dict], root: int):
    """(message key, misconception) of what is wrong with ``got`` as a topological order."""
    want = reachable(nodes, root)
    if not isinstance(got, (list, tuple)) or not all(type(i) is int for i in got):
        return text("engine.topo_type"), None
    if len(set(got)) != len(got):
        return text("engine.topo_repeated", node=next(i for i in got if got.count(i) > 1)), None
    if set(got) != want:
        extra, missing = sorted(set(got) - want), sorted(want - set(got))
        return text("engine.topo_set", extra=extra, missing=missing), None
    position = {i: p for p, i in enumerate(got)}
    for i in got:
        if nodes[i]["op"] == "detach":
            continue
        for j in nodes[i].get("inputs", []):
            if j in position and position[j] < position[i]:
                return text("engine.topo_before_user", node=j, user=i), "topo_preorder"
    return None, None


def topo_case(student, spec, dtype, device):
    nodes = eg.student_graph(spec, dtype, device)
    case = Case(student, TOPIC, "topo_order", nodes, spec["root"])
    case.inputs["nodes"] = describe.Code(f"[t0 ... t{len(nodes) - 1}]")
    _show_graph(case, {k: v for k, v in spec.items() if k != "grad_root"} | {"grad_root": None},
                dtype)
    return case, nodes


def _check_topo(case, nodes, root):
    got = case.run().value
    problem, misconception = topo_problem(got, nodes, root)
    if problem:
        case.fail(problem, sorted(reachable(nodes, root), reverse=True), got,
                  misconception=misconception or "topo_wrong_nodes")


@pytest.mark.grades(TOPIC, "topo_order")
@given(spec=eg.graphs())
def test_topo_order_is_topological(student, device, dtype, spec):
    """Exactly the reachable nodes that require grad, each once, each before all its inputs."""
    case, nodes = topo_case(student, spec, dtype, device)
    _check_topo(case, nodes, spec["root"])


@pytest.mark.grades(TOPIC, "topo_order")
@pytest.mark.parametrize("kind", ["diamond", "mul_sum", "detach", "shared"])
def test_topo_order_worked_examples(student, device, dtype, kind):
    """Fixed graphs, one where both DFS pre-order and BFS put a node before its user."""
    spec = eg.worked(kind)
    case, nodes = topo_case(student, spec, dtype, device)
    _check_topo(case, nodes, spec["root"])


# -- backward: against root.backward(grad_root) on the same graph ----------------------------

def backward_diagnoses(spec, dtype, device):
    def through_detach():
        return eg.torch_backward(spec, dtype, device, detach_as_identity=True)

    def overwritten():
        return _overwrite_engine(spec, dtype, device)

    def overwritten_paths():
        return _path_engine(spec, dtype, device)

    def from_ones():
        root = eg.build(spec, dtype, device)[spec["root"]]
        return eg.torch_backward({**spec, "grad_root": torch.ones_like(root).tolist()},
                                 dtype, device)

    return [when("zeros_instead_of_none", _zeros_for_none),
            when("grad_through_detach", lambda got, expected: approx(got, through_detach())),
            when("shared_grad_overwritten", lambda got, expected: approx(got, overwritten())
                 or approx(got, overwritten_paths())),
            when("grad_root_ignored", lambda got, expected: spec["grad_root"] is not None
                 and approx(got, from_ones())),
            when("constant_input_stops_walk", lambda got, expected: approx(
                got, eg.wrong_engine(spec, dtype, device, stop_at_constant=True))),
            when("walk_stops_at_leaf", lambda got, expected: approx(
                got, eg.wrong_engine(spec, dtype, device, stop_at_leaf=True))),
            when("walk_not_topological", lambda got, expected: any(
                approx(got, eg.wrong_engine(spec, dtype, device, order=order))
                for order in eg.WRONG_ORDERS)),
            when("nonleaf_grads_returned", lambda got, expected: _inner_grads_returned(
                got, expected, spec)),
            *(when(mid, lambda got, expected, mid=mid: any(
                approx(got, wrong) for wrong in _wrong_rules(spec, dtype, device)[mid]))
              for mid in eg.WRONG_RULES)]


_LAST_GRAPH: dict[str, dict] = {}  # the last failing graph's wrong-rule answers, by its repr


def _wrong_rules(spec, dtype, device) -> dict:
    """{misconception: the answers its wrong local rules give on this graph}, computed once."""
    key = repr((spec, dtype, device))
    if key not in _LAST_GRAPH:
        _LAST_GRAPH.clear()
        _LAST_GRAPH[key] = {mid: eg.wrong_rule_engines(spec, dtype, device, mid)
                            for mid in eg.WRONG_RULES}
    return _LAST_GRAPH[key]


def _untried_rules(case, spec, dtype, device) -> None:
    """A wrong local rule that changes no node of this graph, or whose answer cannot be
    computed on it (a wrong shape the ops above reject), says nothing about this example:
    it is left out of the diagnoses tried on it, so it neither names nor vetoes a name."""
    answers = _wrong_rules(spec, dtype, device)
    case.diagnoses = [d for d in case.diagnoses if d.id not in answers or answers[d.id]]


def _inner_grads_returned(got, expected, spec):
    """Tensors where an inner node's entry should be None, every leaf's entry right."""
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return False
    inner = [i for i, n in enumerate(spec["nodes"]) if n["op"] != "leaf"]
    leaves = [i for i, n in enumerate(spec["nodes"]) if n["op"] == "leaf"]
    return (any(isinstance(got[i], torch.Tensor) for i in inner)
            and all((got[i] is None and expected[i] is None) or approx(got[i], expected[i])
                    for i in leaves))


def _zeros_for_none(got, expected):
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return False
    swapped = False
    for g, e in zip(got, expected):
        if e is None and isinstance(g, torch.Tensor) and not bool(g.detach().abs().max() > 0
                                                                  if g.numel() else False):
            swapped = True
        elif not approx(g, e):
            return False
    return swapped


def _overwrite_engine(spec, dtype, device):
    return eg.wrong_engine(spec, dtype, device, accumulate=False)


def _path_engine(spec, dtype, device):
    return eg.wrong_engine(spec, dtype, device, paths=True)


def backward_case(student, spec, dtype, device):
    nodes = eg.student_graph(spec, dtype, device)
    g = eg.grad_root(spec, dtype, device)
    case = Case(student, TOPIC, "backward", nodes, spec["root"], g,
                diagnoses=backward_diagnoses(spec, dtype, device))
    case.inputs["nodes"] = describe.Code(f"[t0 ... t{len(nodes) - 1}]")
    _show_graph(case, spec, dtype)
    return case


def grads_problem(got, expected) -> str | None:
    """What is wrong with ``got`` as backward's list, one entry per node: None exactly
    where torch leaves None, else the tensor (None when nothing is)."""
    if not isinstance(got, (list, tuple)):
        return text("engine.backward_type", n=len(expected))
    if len(got) != len(expected):
        return text("engine.backward_len", n=len(expected), m=len(got))
    for i, (g, e) in enumerate(zip(got, expected)):
        if e is None and g is not None:
            return text("engine.backward_not_none", node=i)
        if e is not None:
            problem = tensor_problem(g, e, f"t{i}.grad", None)
            if problem:
                return problem
    return None


def check_backward(student, spec, dtype, device, expected=None, fewer_nodes=False) -> None:
    """The student's backward on ``spec`` against torch's .grad (or ``expected``).
    ``fewer_nodes``: the failure hypothesis shrank to is cut down further to the nodes it
    depends on (see _fewer_nodes) before it is shown."""
    if fewer_nodes:
        _keep_calls_for_the_cut()
    case = backward_case(student, spec, dtype, device)
    got = case.run().value
    expected = eg.torch_backward(spec, dtype, device) if expected is None else expected
    problem = grads_problem(got, expected)
    if not problem:
        return
    if fewer_nodes and currently_in_test_context() and _shown_example():
        found = _fewer_nodes(student, spec, dtype, device)
        if found is not None:
            spec, got, expected, problem = found
            case = backward_case(student, spec, dtype, device)
    if _shown_example():
        problem += _vjp_cause(student, spec, got, dtype, device)
    _untried_rules(case, spec, dtype, device)
    case.fail(problem, expected, list(got) if isinstance(got, (list, tuple)) else got)


def _shown_example() -> bool:
    """Hypothesis's last replay of the smallest failure (or a check outside hypothesis): the
    example the report shows, where calls beyond the shrink budget may be spent."""
    if not currently_in_test_context():
        return True
    return bool(current_build_context().is_final)


CUT_CALLS = 12  # of the shrink budget's calls, kept for cutting the graph (_fewer_nodes)


def _keep_calls_for_the_cut() -> None:
    """While hypothesis shrinks, stop it CUT_CALLS short of the shrink budget, the way the
    budget itself stops a shrink (gradkit/shrink_budget.py), so the cut has calls left."""
    if (currently_in_test_context() and BUDGET.failed_at is not None
            and not _shown_example() and BUDGET.new_calls >= SHRINK_CALLS - CUT_CALLS):
        BUDGET.exhausted = True
        reject()


def _fewer_nodes(student, spec, dtype, device):
    """Hypothesis shrinks the draws, not the graph: a failing graph can keep nodes the
    failure does not depend on. Greedily drop unused nodes and turn inner nodes into leaves
    while the student's backward still differs from torch's, with the calls the shrink
    budget has left (gradkit/shrink_budget.py). (spec, got, expected, problem) or None."""
    best = None
    progress = True
    while progress:
        progress = False
        for candidate in eg.smaller(spec):
            if BUDGET.new_calls >= SHRINK_CALLS:
                return best
            BUDGET.new_calls += 1  # the budget's count: these calls are shrink steps too
            nodes = eg.student_graph(candidate, dtype, device)
            try:
                got = student.call(TOPIC, "backward", [nodes, candidate["root"],
                                                       eg.grad_root(candidate, dtype, device)],
                                   label="backward(...)").value
            except STUDENT_ERRORS:
                continue  # a crash is another failure than the one shown
            expected = eg.torch_backward(candidate, dtype, device)
            problem = grads_problem(got, expected)
            if problem:
                spec, best, progress = candidate, (candidate, got, expected, problem), True
                break
    return best


def _vjp_cause(student, spec, got, dtype, device) -> str:
    """A note when the first wrong node's local rule is the student's own vjp, saying whether
    backward is right given it (then the fix is in vjp alone)."""
    nodes = eg.student_graph(spec, dtype, device)

    def call_vjp(i, inputs, g):
        return student.call(TOPIC, "vjp", [nodes[i], inputs, g],
                            label=f"vjp(nodes[{i}], ...)").value

    truth = engine_pictures.torch_node_grads(spec, dtype, device)
    _, first = engine_pictures.rules_from_root(spec, nodes, truth, call_vjp)
    if first is None:
        return ""
    walked = engine_pictures.walk_with(spec, nodes, eg.grad_root(spec, dtype, device), call_vjp)
    key = ("engine.backward_vjp_given" if walked is not None and approx(list(got), walked)
           else "engine.backward_vjp_also")
    return text(key, node=f"t{first}", op=spec["nodes"][first]["op"])


@pytest.mark.grades(TOPIC, "backward", weight=2)
@given(spec=eg.graphs())
def test_backward_matches_torch(student, device, dtype, spec):
    """Every leaf's gradient is the .grad torch leaves after root.backward(grad_root),
    None where torch leaves None (no gradient reaches it, or it does not require grad)."""
    check_backward(student, spec, dtype, device, fewer_nodes=True)


@pytest.mark.grades(TOPIC, "backward", weight=0.2)
@pytest.mark.parametrize("op", tuple(o for o in eg.OPS if o != "detach"))
@given(fewer=True, data=st.data())
def test_backward_through_each_op(student, device, dtype, op, data):
    """Each op as the root of a small graph, in every broadcasting pattern (a matrix mean,
    matrix @ vector, (1, k) with (n, 1), 0-d tensors), with a random upstream gradient:
    backward is held to torch's .grad whether the mistake is in its walk or in a vjp."""
    spec = data.draw(eg.op_graph(op, constants=True, least=2), label="graph")
    check_backward(student, spec, dtype, device)


@pytest.mark.grades(TOPIC, "backward")
@pytest.mark.parametrize("kind", ["mul_sum", "shared", "detach", "diamond", "constant_first",
                                  "leaf_before_inner", "relu_at_zero"])
def test_backward_worked_examples(student, device, kind):
    """The curriculum's three worked examples, a diamond, a constant first input, a leaf
    met before an inner node and relu at exactly 0, in float32."""
    spec = eg.worked(kind)
    expected = None
    if kind in eg.WORKED_EXPECTED:
        expected = [None if v is None else torch.tensor(v, device=device)
                    for v in eg.WORKED_EXPECTED[kind]]
    check_backward(student, spec, torch.float32, device, expected)


# -- numerical_grad: central, not one-sided ------------------------------------------------

EPS = 1e-3
# f'' >= 0.2 everywhere and |f'''| <= 3 on the drawn domain (see function_specs): a central
# difference is off by at most eps**2 / 6 * 3 = 5e-7, a one-sided one by at least
# eps / 2 * 0.2 = 1e-4. ATOL = 1e-5 sits 20x above the first and 10x below the second.
ATOL = 1e-5


@st.composite
def function_specs(draw):
    shape = draw(st.sampled_from([(), (1,), (3,), (2, 2), (2, 3)]))
    numel = 1
    for s in shape:
        numel *= s

    def coeffs(lo, hi):
        return draw(st.lists(st.floats(lo, hi).map(lambda v: round(v, 3)),
                             min_size=numel, max_size=numel))

    # (Σ cᵢ·aᵢ·xᵢ)² couples the elements (not a sum of per-element terms), so a difference
    # taken on a copy that keeps earlier elements moved is off by about eps·cᵢaᵢ·cⱼaⱼ ≥ 1e-4;
    # its f'' ≥ 0 and f''' = 0 keep the bounds above.
    terms = [{"kind": "pow", "k": 2, "c": coeffs(0.5, 2.0), "a": coeffs(0.5, 1.0)},
             {"kind": "exp", "c": coeffs(0.1, 1.0), "a": coeffs(0.5, 1.0)},
             {"kind": "sin", "c": coeffs(-0.1, 0.1), "a": coeffs(0.5, 1.0)},
             {"kind": "square_of_sum", "c": coeffs(0.5, 1.0), "a": coeffs(0.5, 1.0)}]
    x = plain.nest(coeffs(-1.0, 1.0), shape)  # tensors are built by the check, after drawing
    return {"terms": terms}, x


# A central difference divided by eps (not 2·eps), by 4·eps, or not by eps at all.
_WRONG_SCALES = (2.0, 0.5, EPS, 2 * EPS)


@kit_only
def _numerical_grad_diagnoses(f, x, device):
    """The wrong differences a numerical_grad can take (one edit from the right one:
    kept out of the student bundle)."""
    def central():
        return (one_sided(1) + one_sided(-1)) / 2

    def one_sided(sign):
        flat, out = x.reshape(-1), torch.zeros(x.numel(), dtype=torch.float64, device=device)
        for i in range(x.numel()):
            moved = flat.clone()
            moved[i] += sign * EPS
            out[i] = sign * (f(moved.reshape(x.shape)) - f(x)) / EPS
        return out.reshape(x.shape)

    def never_restored():
        # Each element moved up, then down, on one working copy, and left there.
        work = x.clone().reshape(-1)
        out = torch.zeros(x.numel(), dtype=torch.float64, device=device)
        for i in range(x.numel()):
            work[i] += EPS
            up = f(work.reshape(x.shape))
            work[i] -= 2 * EPS
            out[i] = (up - f(work.reshape(x.shape))) / (2 * EPS)
        return out.reshape(x.shape)

    return [when("perturbation_not_restored", lambda got, e: x.numel() > 1
                 and approx(got, never_restored())),
            when("one_sided_difference", lambda got, e: approx(got, one_sided(1))
                 or approx(got, one_sided(-1))),
            when("difference_scaled", lambda got, e: any(
                 approx(got, central() * c) for c in _WRONG_SCALES)),
            when("all_elements_perturbed", lambda got, e: x.numel() > 1 and approx(
                 got, torch.full_like(x, float((f(x + EPS) - f(x - EPS))
                 / (2 * EPS)))))]


@pytest.mark.grades(TOPIC, "numerical_grad")
@given(raw=function_specs())
def test_numerical_grad_is_central(student, device, raw):
    """Within 1e-5 of the analytic gradient, which a central difference meets and a
    one-sided one does not."""
    spec, x_list = raw
    x = torch.tensor(x_list, dtype=torch.float64, device=device)
    f = recipes.function(spec)
    xr = x.clone().requires_grad_(True)
    expected = torch.autograd.grad(f(xr), xr)[0].detach()

    case = Case(student, TOPIC, "numerical_grad", None, x, EPS,
                diagnoses=_numerical_grad_diagnoses(f, x, device))
    case.inputs["f"] = describe.Code(recipes.function_as_code(spec))
    case.shown = dict(case.inputs)
    case.judged_args = [f, x, EPS]  # the wrong variants need f itself (checks/variants.py)
    got = case.run(functions={0: spec}).value
    # float64 tolerance 1e-10 * (|e| + scale): scale = ATOL / 1e-10 gives ATOL absolute.
    case.expect_tensor(got, expected, "df/dx", scale=ATOL / 1e-10)


@pytest.mark.grades(TOPIC, "numerical_grad")
@given(fewer=True, raw=function_specs())
def test_numerical_grad_leaves_x_untouched(student, device, raw):
    """x is as it was after the call: each perturbation made on a copy, or undone exactly
    (the shared rule check cannot send an f, so numerical_grad has this one of its own)."""
    spec, x_list = raw
    x = torch.tensor(x_list, dtype=torch.float64, device=device)
    case = Case(student, TOPIC, "numerical_grad", None, x, EPS)
    case.judged_args = [recipes.function(spec), x, EPS]  # an error raised here is judged too
    case.inputs["f"] = describe.Code(recipes.function_as_code(spec))
    case.shown = dict(case.inputs)
    if 1 in case.run(functions={0: spec}).mutated:
        case.fail(text("rule.numerical_grad_mutated"), misconception="input_mutated")


@pytest.mark.grades(TOPIC, "numerical_grad")
@given(fewer=True, raw=function_specs())
def test_numerical_grad_no_autograd(student, device, raw):
    """No autograd (none of the engine's four functions may use it): the estimate comes from
    calls of f alone (the shared rule check cannot send an f, so this one is its own)."""
    spec, x_list = raw
    x = torch.tensor(x_list, dtype=torch.float64, device=device)
    case = Case(student, TOPIC, "numerical_grad", None, x, EPS)
    case.judged_args = [recipes.function(spec), x, EPS]  # an error raised here is judged too
    case.inputs["f"] = describe.Code(recipes.function_as_code(spec))
    case.shown = dict(case.inputs)
    reply = case.run(functions={0: spec})
    if reply.facts.get("process_started"):  # what a child process computes is beyond the watch
        case.fail(text("rule.process_started"), misconception="autograd_in_engine")
    if reply.facts.get("autograd_used"):
        case.fail(text("rule.autograd_in_engine"), misconception="autograd_in_engine")


# -- the topic's rule: no autograd in vjp, topo_order, backward -----------------------------

def _vjp_sample(device):
    ops = st.sampled_from(eg.BINARY + ("tanh", "pow", "sum", "relu", "detach"))
    return ops.flatmap(vjp_cases).map(lambda raw: _vjp_args(raw, device))


def _vjp_args(raw, device):
    spec, g = raw
    values = eg.student_graph(spec, torch.float64, device)
    node = values[-1]
    out = torch.tensor(g, dtype=torch.float64, device=device)
    return [node, [values[i]["value"] for i in node["inputs"]], out]


SAMPLE_ARGS = {
    "vjp": _vjp_sample,
    "topo_order": lambda device: eg.graphs().map(
        lambda s: [eg.student_graph(s, torch.float64, device), s["root"]]),
    "backward": lambda device: eg.graphs().map(
        lambda s: [eg.student_graph(s, torch.float64, device), s["root"],
                   eg.grad_root(s, torch.float64, device)]),
}

test_no_autograd = rule_check(TOPIC, SAMPLE_ARGS, "autograd_used",
                              "rule.autograd_in_engine", "autograd_in_engine")
test_inputs_untouched = untouched_check(TOPIC, SAMPLE_ARGS)


# -- the features a failure profile reads -----------------------------------------------------

FEATURES.declare(TOPIC, {
    "vjp": lambda node, inputs, g: {"broadcast": any(tuple(x.shape) != tuple(node["value"].shape)
                                                     for x in inputs),
                                    "zero_d": any(x.dim() == 0 for x in inputs)},
    "topo_order": lambda nodes, root: {"shared_node": _has_shared(nodes),
                                       "has_detach": any(n["op"] == "detach" for n in nodes)},
    "backward": lambda nodes, root, g: {"shared_node": _has_shared(nodes),
                                        "has_detach": any(n["op"] == "detach" for n in nodes),
                                        "unused_leaf": _unused_leaf(nodes, root),
                                        "grad_root_given": g is not None,
                                        "broadcast": _has_broadcast(nodes),
                                        "zero_d": any(n["value"].dim() == 0 for n in nodes),
                                        **{"op_" + op: any(n["op"] == op for n in nodes)
                                           for op in eg.OPS if op != "detach"}},
})


def _has_broadcast(nodes):
    return any(tuple(nodes[j]["value"].shape) != tuple(n["value"].shape)
               for n in nodes if n["op"] in ("add", "sub", "mul", "div") for j in n["inputs"])


def _unused_leaf(nodes, root) -> bool:
    """Some node no gradient reaches from root: asked of torch (a feature, not a walk: a
    walk here would be topo_order's answer in the student bundle)."""
    flags = eg.requires_grad(nodes)
    values = []
    for node, flag in zip(nodes, flags):
        if node["op"] == "leaf":
            values.append(node["value"].detach().clone().requires_grad_(flag))
        else:
            values.append(eg.apply(node["op"], [values[j] for j in node["inputs"]], node.get("k")))
    if not all(v.requires_grad for v in values):
        return True
    grads = torch.autograd.grad(values[root].sum(), values, allow_unused=True)
    return any(g is None for g in grads)


def _has_shared(nodes):
    uses = [0] * len(nodes)
    for n in nodes:
        for j in n.get("inputs", []):
            uses[j] += 1
    return max(uses) > 1
