"""Checks for engine (自己写反向传播引擎): the student's reverse-mode engine over a graph
given as plain data (checks/engine_graphs.py), held against torch autograd on the same graph."""

from __future__ import annotations

import pytest
import torch

from hypothesis import strategies as st

from checks import engine_graphs as eg
from checks.contract import rule_check, untouched_check
from checks.diagnose import FEATURES, approx, when
from checks.expect import Case
from checks.tolerance import tensor_problem
from gradkit.testing import given, describe
from gradkit.testing import text
from gradkit.testing import recipes

TOPIC = "engine"


# -- vjp: one op, drawn shapes (broadcasting both ways, 0-d), random upstream gradients ----

_PAIRS = {  # (a's shape, b's shape) for the broadcasting ops, n, k filled in
    "same": lambda n, k: ((n, k), (n, k)),
    "row": lambda n, k: ((n, k), (k,)),
    "row_first": lambda n, k: ((k,), (n, k)),
    "column": lambda n, k: ((n, 1), (k,)),
    "scalar": lambda n, k: ((n, k), ()),
    "scalar_first": lambda n, k: ((), (k,)),
    "both_0d": lambda n, k: ((), ()),
}


@st.composite
def vjp_cases(draw, op):
    """(spec of a two- or three-node graph, upstream gradient as a list)."""
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if op in ("add", "sub", "mul", "div"):
        shapes = _PAIRS[draw(st.sampled_from(sorted(_PAIRS)))](n, k)
    elif op == "matmul":
        shapes = draw(st.sampled_from([((n, k), (k, m)), ((n, k), (k,))]))
    elif op == "transpose":
        shapes = ((n, k),)
    else:
        shapes = (draw(st.sampled_from([(n, k), (k,), ()])),)
    kk = draw(st.sampled_from(eg.POWERS)) if op == "pow" else None
    leaves = []
    for i, shape in enumerate(shapes):
        for _ in range(20):
            node = draw(eg.leaf(shape, True))
            leaves.append(node)
            args = [torch.tensor(x["value"], dtype=torch.float64) for x in leaves]
            if i < len(shapes) - 1 or eg.in_domain(op, args, kk):
                break
            leaves.pop()
        else:
            leaves.append(_safe_leaf(op, shape))
    node = {"op": op, "inputs": list(range(len(leaves)))}
    if kk is not None:
        node["k"] = kk
    spec = {"nodes": leaves + [node], "root": len(leaves), "grad_root": None}
    out = eg.build(spec, torch.float64, "cpu")[-1]
    g = draw(st.lists(eg._upstream, min_size=out.numel(), max_size=out.numel()))
    return spec, torch.tensor(g, dtype=torch.float64).reshape(out.shape).tolist()


def _safe_leaf(op, shape):
    """A leaf every op accepts (1.0 everywhere is in every domain), if drawing keeps missing."""
    return {"op": "leaf", "value": torch.full(shape, 1.0, dtype=torch.float64).tolist(),
            "requires_grad": True}


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
                got, expected, spec))]


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


def expect_grads(case, got, expected):
    """One entry per node: None exactly where torch leaves None, else the tensor."""
    if not isinstance(got, (list, tuple)):
        case.fail(text("engine.backward_type", n=len(expected)), expected, got)
    if len(got) != len(expected):
        case.fail(text("engine.backward_len", n=len(expected), m=len(got)), expected, got)
    for i, (g, e) in enumerate(zip(got, expected)):
        if e is None and g is not None:
            case.fail(text("engine.backward_not_none", node=i), expected, list(got))
        if e is not None:
            problem = tensor_problem(g, e, f"t{i}.grad", None)
            if problem:
                case.fail(problem, expected, list(got))


@pytest.mark.grades(TOPIC, "backward", weight=2)
@given(spec=eg.graphs())
def test_backward_matches_torch(student, device, dtype, spec):
    """Every leaf's gradient is the .grad torch leaves after root.backward(grad_root),
    None where torch leaves None (no gradient reaches it, or it does not require grad)."""
    case = backward_case(student, spec, dtype, device)
    expect_grads(case, case.run().value, eg.torch_backward(spec, dtype, device))


@pytest.mark.grades(TOPIC, "backward")
@pytest.mark.parametrize("kind", ["mul_sum", "shared", "detach", "diamond", "constant_first",
                                  "leaf_before_inner"])
def test_backward_worked_examples(student, device, kind):
    """The curriculum's three worked examples, a diamond, a constant first input and a leaf
    met before an inner node, in float32."""
    spec = eg.worked(kind)
    case = backward_case(student, spec, torch.float32, device)
    expected = eg.torch_backward(spec, torch.float32, device)
    if kind in eg.WORKED_EXPECTED:
        expected = [None if v is None else torch.tensor(v, device=device)
                    for v in eg.WORKED_EXPECTED[kind]]
    expect_grads(case, case.run().value, expected)


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

    terms = [{"kind": "pow", "k": 2, "c": coeffs(0.5, 2.0), "a": coeffs(0.5, 1.0)},
             {"kind": "exp", "c": coeffs(0.1, 1.0), "a": coeffs(0.5, 1.0)},
             {"kind": "sin", "c": coeffs(-0.1, 0.1), "a": coeffs(0.5, 1.0)}]
    x = torch.tensor(coeffs(-1.0, 1.0), dtype=torch.float64).reshape(shape).tolist()
    return {"terms": terms}, x


# A central difference divided by eps (not 2·eps), by 4·eps, or not by eps at all.
_WRONG_SCALES = (2.0, 0.5, EPS, 2 * EPS)


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

    def central():
        return (one_sided(1) + one_sided(-1)) / 2

    def one_sided(sign):
        flat, out = x.reshape(-1), torch.zeros(x.numel(), dtype=torch.float64, device=device)
        for i in range(x.numel()):
            moved = flat.clone()
            moved[i] += sign * EPS
            out[i] = sign * (f(moved.reshape(x.shape)) - f(x)) / EPS
        return out.reshape(x.shape)

    case = Case(student, TOPIC, "numerical_grad", None, x, EPS,
                diagnoses=[when("one_sided_difference", lambda got, e: approx(got, one_sided(1))
                                or approx(got, one_sided(-1))),
                           when("difference_scaled", lambda got, e: any(
                               approx(got, central() * c) for c in _WRONG_SCALES)),
                           when("all_elements_perturbed", lambda got, e: x.numel() > 1 and approx(
                               got, torch.full_like(x, float((f(x + EPS) - f(x - EPS))
                                                             / (2 * EPS)))))])
    case.inputs["f"] = describe.Code(recipes.function_as_code(spec))
    case.shown = dict(case.inputs)
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
    case.inputs["f"] = describe.Code(recipes.function_as_code(spec))
    case.shown = dict(case.inputs)
    if 1 in case.run(functions={0: spec}).mutated:
        case.fail(text("rule.numerical_grad_mutated"), misconception="input_mutated")


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
    "vjp": lambda node, inputs, g: {"op_" + node["op"]: True,
                                    "broadcast": any(tuple(x.shape) != tuple(node["value"].shape)
                                                     for x in inputs),
                                    "zero_d": any(x.dim() == 0 for x in inputs)},
    "topo_order": lambda nodes, root: {"shared_node": _has_shared(nodes),
                                       "has_detach": any(n["op"] == "detach" for n in nodes)},
    "backward": lambda nodes, root, g: {"shared_node": _has_shared(nodes),
                                        "has_detach": any(n["op"] == "detach" for n in nodes),
                                        "unused_leaf": len(reachable(nodes, root)) < len(nodes),
                                        "grad_root_given": g is not None,
                                        **{"op_" + n["op"]: True for n in nodes
                                           if n["op"] not in ("leaf", "detach")}},
})


def _has_shared(nodes):
    uses = [0] * len(nodes)
    for n in nodes:
        for j in n.get("inputs", []):
            uses[j] += 1
    return max(uses) > 1
