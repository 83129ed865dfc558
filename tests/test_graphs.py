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
