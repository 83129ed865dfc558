"""Drawing autograd graphs: torchviz's traps are handled, and only safe DOT reaches `dot`."""

import sys
import warnings

import pytest
import torch

from gradkit import render
from gradkit.untrusted import drawing as graphs


def _chain(n):
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    return y.sum()


def test_drawing_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torchviz warns on every call; we must not
        drawn = graphs.drawing([_chain(3)], {})
    assert "MulBackward0" in drawn["dot"] and drawn["nodes"] == 5


def test_a_thousand_node_graph_does_not_overflow_the_stack():
    drawn = graphs.drawing([_chain(1200)], {})
    assert drawn["nodes"] == 1202 and drawn["dot"].startswith("digraph")
    assert "nodes)" in drawn["text"]  # the text form summarises instead of recursing


class _Twice(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g


def test_a_custom_function_whose_saved_tensors_were_freed_is_still_drawn():
    x = torch.ones(2, requires_grad=True)
    out = _Twice.apply(x).sum()
    out.backward()  # frees saved_tensors: torchviz would raise reading them
    assert "_TwiceBackward" in graphs.dot([out], {})


def test_without_torchviz_the_fallback_writer_draws(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchviz", None)  # as on Python 3.12 without distutils
    source = graphs.dot([_chain(2)], {})
    assert source.startswith("digraph") and "MulBackward0" in source and render.safe(source)


@pytest.mark.parametrize("attack", [
    'digraph { a [image="/etc/passwd"] }',
    'digraph { a [label=<<b>x</b>>] }',
    'digraph { a [label="x\\" shapefile=\\"y"] }',
    'digraph { a [fontpath="/tmp"] }',
])
def test_unsafe_dot_from_a_worker_is_refused(attack):
    assert not render.safe(attack) and render.svg(attack) is None


def test_the_pictures_of_the_grader_and_worker_agree_on_safe_dot():
    source = graphs.dot([_chain(2)], {})
    assert render.safe(source)
    if render.dot_available():
        assert render.svg(source).startswith("<svg")


# -- the engine's graphs (checks/engine_graphs.py): every op, every broadcasting pattern ---

import hypothesis  # noqa: E402
from hypothesis import HealthCheck, find, settings  # noqa: E402

from checks import engine as engine_checks  # noqa: E402
from checks import engine_graphs as eg  # noqa: E402
from gradkit import i18n  # noqa: E402
from gradkit.testing import BUDGET, recipes  # noqa: E402

FIND = settings(database=None, derandomize=True, max_examples=300, deadline=None,
                suppress_health_check=list(HealthCheck))


def _shapes(spec):
    return [tuple(torch.tensor(n["value"]).shape) for n in spec["nodes"] if n["op"] == "leaf"]


def _drawn(strategy, count=150) -> list:
    """``count`` examples of ``strategy``, the same every run."""
    seen = []

    @settings(FIND, max_examples=count, phases=[hypothesis.Phase.generate])
    @hypothesis.given(strategy)
    def collect(value):
        seen.append(value)
    collect()
    return seen


@pytest.mark.parametrize("op", ["add", "div"])
def test_every_broadcasting_pattern_is_drawn_for_the_broadcasting_ops(op):
    drawn = {tuple(_shapes(s)) for s in _drawn(eg.op_graph(op, least=2))}
    for pattern, shapes in eg.PAIRS.items():
        assert any(tuple(shapes(n, k)) == d for d in drawn for n in (2, 3) for k in (2, 3)), pattern


def test_matrix_means_matrix_vector_products_and_0d_tensors_are_drawn():
    means = {len(_shapes(s)[0]) for s in _drawn(eg.op_graph("mean", least=2), 40)}
    assert means == {0, 1, 2}  # a 0-d tensor, a vector and a matrix, every size at least 2
    products = [_shapes(s) for s in _drawn(eg.op_graph("matmul", least=2), 40)]
    assert any(len(b) == 1 for _, b in products) and any(len(b) == 2 for _, b in products)
    assert any(sh[0] == 1 and sh[1] > 1 for s in _drawn(eg.graphs(), 60) for sh in _shapes(s)
               if len(sh) == 2)


@pytest.mark.parametrize("mid", sorted(eg.WRONG_RULES))
def test_every_wrong_rule_differs_from_torch_on_some_op_graph(mid):
    """A wrong-rule diagnosis can tell: on some drawn graph its engine is not torch's."""
    def wrong_somewhere(spec):
        truth = eg.torch_backward(spec, torch.float64, "cpu")
        try:
            found = eg.wrong_rule_engines(spec, torch.float64, "cpu", mid)
        except RuntimeError:  # a wrong shape that cannot be added up: differs too
            return True
        return any(not engine_checks.approx(w, truth) for w in found)
    ops = {"no_broadcast_reduction": "mul", "mean_grad_not_divided": "mean",
           "matmul_wrong_side": "matmul", "vjp_sign_dropped": "div", "relu_grad_at_zero": "relu",
           "tanh_derivative_as_tanh": "tanh", "sigmoid_derivative_from_input": "sigmoid",
           "pow_off_by_one": "pow", "tanh_derivative_from_input": "tanh",
           "derivative_of_output": "tanh", "quotient_rule_factor_missing": "div"}
    find(eg.op_graph(ops[mid], least=2), wrong_somewhere, settings=FIND)
    assert i18n.misconception(mid, "en") and i18n.misconception(mid, "zh")


# -- smaller counterexamples: nodes the failure does not depend on are dropped -------------

def _with_noise():
    """sum(tanh(x) * w) for the failure, with an unused branch and a detour through exp/log
    whose gradient is right in any engine that gets tanh wrong."""
    leaf = {"op": "leaf", "requires_grad": True}
    return {"nodes": [leaf | {"value": [0.5, -1.0]}, leaf | {"value": [2.0, 1.5]},
                      {"op": "exp", "inputs": [1]}, {"op": "log", "inputs": [2]},
                      {"op": "tanh", "inputs": [0]}, {"op": "neg", "inputs": [1]},
                      {"op": "mul", "inputs": [4, 3]}, {"op": "sum", "inputs": [6]}],
            "root": 7, "grad_root": None}


class _TanhAsValue:
    """A student whose backward takes tanh' as tanh (computed here, no worker)."""
    calls = 0

    def call(self, topic, function, args, label=None):
        from checks.engine_pictures import spec_of
        self.calls += 1
        spec = spec_of(*args)
        answer = eg.wrong_engine(spec, torch.float64, "cpu",
                                 rule=eg.WRONG_RULES["tanh_derivative_as_tanh"][0])
        return type("Reply", (), {"value": answer})()


def test_a_failing_graph_is_cut_to_the_nodes_the_failure_depends_on():
    spec, student = _with_noise(), _TanhAsValue()
    BUDGET.reset()
    found = engine_checks._fewer_nodes(student, spec, torch.float64, "cpu")
    assert found is not None
    smaller, got, expected, problem = found
    ops = [n["op"] for n in smaller["nodes"]]
    assert sorted(ops) == ["leaf", "leaf", "mul", "sum", "tanh"], ops  # neg, exp, log gone
    assert engine_checks.grads_problem(got, expected) == problem is not None
    assert eg.build(smaller, torch.float64, "cpu")[smaller["root"]].item() == pytest.approx(
        eg.build(spec, torch.float64, "cpu")[spec["root"]].item(), abs=1e-2)
    assert student.calls <= len(spec["nodes"]) * 3


def test_cutting_a_graph_stays_within_the_shrink_budget():
    from gradkit.shrink_budget import SHRINK_CALLS
    student = _TanhAsValue()
    BUDGET.reset()
    BUDGET.new_calls = SHRINK_CALLS - 1
    engine_checks._fewer_nodes(student, _with_noise(), torch.float64, "cpu")
    assert student.calls == 1 and BUDGET.new_calls == SHRINK_CALLS
    BUDGET.reset()


def test_pruning_keeps_what_the_root_is_computed_from():
    spec = _with_noise()
    kept = eg.pruned(spec)
    assert [n["op"] for n in kept["nodes"]] == ["leaf", "leaf", "exp", "log", "tanh", "mul", "sum"]
    assert kept["root"] == 6 and kept["nodes"][5]["inputs"] == [4, 3]


# -- no internal names: every feature a profile can name has its words, en and zh -----------

def test_every_engine_feature_has_words_in_both_languages():
    from checks.diagnose import FEATURES
    spec = eg.worked("detach")
    nodes = eg.student_graph(spec, torch.float64, "cpu")
    args = {"vjp": (nodes[2], [nodes[0]["value"], nodes[1]["value"]], nodes[2]["value"]),
            "topo_order": (nodes, 3), "backward": (nodes, 3, None)}
    for function, call in args.items():
        names = FEATURES.of("engine", function, call)
        assert names, function
        for name in names:
            for key in (f"feature.{name}", f"feature.{name}.not"):
                for lang in ("en", "zh"):
                    assert i18n.text(key, lang) != key, key


# -- numerical_grad's f: one term couples the elements ---------------------------------------

def test_square_of_sum_is_not_separable_and_its_code_says_what_it_computes():
    spec = {"terms": [{"kind": "square_of_sum", "c": [1.0, 0.5], "a": [1.0, 2.0]}]}
    f = recipes.function(spec)
    x = torch.tensor([0.3, -0.2], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    mixed = torch.autograd.grad(g[0], x)[0][1]
    assert float(mixed) == pytest.approx(2 * 1.0 * 1.0 * 0.5 * 2.0)
    code = recipes.function_as_code(spec)
    assert eval(code, {"torch": torch})(x.detach()).item() == pytest.approx(f(x).item())


def test_the_graph_diff_compares_structure_not_leaf_names():
    from gradkit.reporters.terminal import first_difference
    ref = "AddBackward0\n├─ AccumulateGrad → t0 (2,)\n└─ AccumulateGrad → t1 (2,)"
    renamed = ref.replace("t0", "x").replace("t1", "w")
    reshaped = renamed.replace("x (2,)", "x (3,)")
    regrown = renamed.replace("AddBackward0", "MulBackward0")
    assert first_difference({"student": {"text": renamed}, "reference": {"text": ref}}) is None
    assert first_difference({"student": {"text": reshaped}, "reference": {"text": ref}}) == 1
    assert first_difference({"student": {"text": regrown}, "reference": {"text": ref}}) == 0
