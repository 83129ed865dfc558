"""Drawing the engine's graphs asks no torch: the ops a drawn graph must stay in the domain of
are evaluated on plain lists (checks/plain_arrays.py), and they agree with torch's values."""

import math

import hypothesis
import pytest
import torch
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from checks import engine_graphs as eg
from checks import plain_arrays as plain

DRAW = settings(database=None, derandomize=True, deadline=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))


def _drawn(strategy, count):
    seen = []

    @settings(DRAW, max_examples=count)
    @hypothesis.given(strategy)
    def collect(value):
        seen.append(value)
    collect()
    return seen


def _torch_in_domain(op, args, k=None) -> bool:
    """The domain rule as it was written with torch (the drawing's old rule), for comparison."""
    a = args[0]
    if op in ("add", "sub", "mul", "div"):
        try:
            torch.broadcast_shapes(a.shape, args[1].shape)
        except RuntimeError:
            return False
        if op == "div" and not bool((args[1].abs() >= 0.6).all()):
            return False
    if op == "matmul":
        b = args[1]
        if a.dim() != 2 or b.dim() not in (1, 2) or a.shape[1] != b.shape[0]:
            return False
    if op == "transpose" and a.dim() != 2:
        return False
    if op == "log" and not bool((a >= 0.15).all()):
        return False
    if op == "exp" and not bool((a.abs() <= 4.5).all()):
        return False
    if op == "pow" and k < 0 and not bool((a.abs() >= 0.6).all()):
        return False
    out = eg.apply(op, args, k)
    return out.dim() <= 2 and bool((out.abs() <= eg.LIMIT).all())


SHAPES = [(), (1,), (3,), (2, 3), (3, 2), (1, 3), (2, 1), (3, 3)]
values = st.one_of(st.sampled_from([0.0, 0.5, -0.6, 0.15, 1.0, -2.0]),
                   st.floats(-3, 3, allow_nan=False))


@st.composite
def operands(draw):
    op = draw(st.sampled_from(eg.OPS))
    arity = 2 if op in eg.BINARY else 1
    arrays = []
    for _ in range(arity):
        shape = draw(st.sampled_from(SHAPES))
        flat = draw(st.lists(values, min_size=math.prod(shape), max_size=math.prod(shape)))
        arrays.append(plain.nest(flat, shape))
    return op, arrays, draw(st.sampled_from(eg.POWERS))


def test_plain_ops_give_torchs_shapes_values_and_domain():
    checked = 0
    for op, arrays, k in _drawn(operands(), 600):
        tensors = [torch.tensor(a, dtype=torch.float64) for a in arrays]
        lists = [plain.Array.of(a) for a in arrays]
        assert [tuple(t.shape) for t in tensors] == [x.shape for x in lists]
        fits = _torch_in_domain(op, tensors, k)
        assert eg.in_domain(op, lists, k) == fits, (op, arrays, k)
        if fits:
            want, got = eg.apply(op, tensors, k), plain.apply(op, lists, k)
            assert tuple(want.shape) == got.shape
            assert got.flat == pytest.approx(want.reshape(-1).tolist(), rel=1e-12, abs=1e-12)
            checked += 1
    assert checked > 200  # most ops were in their domain, so values were compared


def test_broadcast_shapes_fails_where_torch_fails():
    for a in SHAPES:
        for b in SHAPES:
            try:
                want = tuple(torch.broadcast_shapes(a, b))
            except RuntimeError:
                want = None
            assert plain.broadcast_shapes(a, b) == want, (a, b)


def test_nest_is_reshape_tolist():
    for shape in SHAPES:
        flat = [float(i) - 2.5 for i in range(math.prod(shape))]
        assert plain.nest(flat, shape) == torch.tensor(flat).reshape(shape).tolist()
        assert plain.Array.of(plain.nest(flat, shape)).flat == flat


def test_drawing_graphs_runs_no_torch(monkeypatch):
    """A strategy that asked torch for a value would fail here: torch's tensor builders and
    ops are replaced by a trap while the engine's graphs are drawn."""
    def trap(*args, **kwargs):
        raise AssertionError("torch was asked while drawing")
    for name in ("tensor", "broadcast_shapes", "exp", "log", "tanh", "sigmoid", "relu", "full"):
        monkeypatch.setattr(torch, name, trap)
    drawn = _drawn(eg.graphs(), 30) + _drawn(eg.op_graph("log", upstream=True), 20)
    drawn += _drawn(eg.op_graph("div", constants=True, least=2), 20)
    drawn += _drawn(eg.op_graph("matmul"), 20)
    assert len(drawn) == 90
    monkeypatch.undo()
    for spec in drawn:  # and each is a graph torch builds, every value in its domain
        built = eg.build(spec, torch.float64, "cpu")
        assert all(bool((t.abs() <= eg.LIMIT).all()) for t in built)
