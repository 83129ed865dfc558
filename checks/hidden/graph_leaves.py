"""Hidden checks for graph_leaves: deeper random graphs than the public ones.

Hidden checks count like any other, but their inputs and expected values stay out
of every report until grades are published (see gradkit.results.CheckResult.hidden).
"""

from __future__ import annotations

import pytest

from hypothesis import strategies as st

from gradkit.testing import given

from checks.graph_leaves import TOPIC, _expect_names
from checks.recipe_strategies import branching_graphs, op, recipe


@st.composite
def deep_graphs(draw):
    """A branching graph with a few more ops stacked on top."""
    nodes, top = draw(branching_graphs())
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(["tanh", "mul", "add"]))
        other = [] if name == "tanh" else [draw(st.integers(0, top))]
        nodes.append(op(name, top, *other))
        top = len(nodes) - 1
    return nodes, top


@pytest.mark.grades(TOPIC, "grad_fn_names")
@given(drawn=deep_graphs())
def test_grad_fn_names_deep_graphs(student, device, drawn):
    """Breadth-first on deeper graphs, shared nodes once."""
    nodes, top = drawn
    _expect_names(student, recipe(nodes, device), top)
