"""The grader's hand-written references agree with torch's own, and a recipe's
code (what the feedback shows) builds the same graph as the recipe."""

import warnings

import torch
from hypothesis import given, settings

from checks.grad_accumulation import parameter_sets, reference_zero_grad
from checks.graph_leaves import reference_names
from checks.recipe_strategies import branching_graphs, recipe
from gradkit.untrusted import recipes


@settings(max_examples=30, deadline=None, database=None)
@given(drawn=parameter_sets())
def test_reference_zero_grad_is_the_optimizers(drawn):
    nodes, set_to_none = drawn
    ours, theirs = recipes.build(recipe(nodes, "cpu")), recipes.build(recipe(nodes, "cpu"))
    before = [p.grad for p in theirs]
    reference_zero_grad(ours, set_to_none)
    torch.optim.SGD(theirs, lr=0.1).zero_grad(set_to_none=set_to_none)
    for mine, real, old in zip(ours, theirs, before):
        assert (mine.grad is None) == (real.grad is None)
        if real.grad is not None:
            assert real.grad is old and real.grad.grad_fn is None and not real.grad.requires_grad
            assert mine.grad.grad_fn is None and not mine.grad.requires_grad
            assert torch.equal(mine.grad, real.grad)


@settings(max_examples=30, deadline=None, database=None)
@given(drawn=branching_graphs())
def test_the_code_shown_builds_the_same_graph(drawn):
    nodes, top = drawn
    graph = recipe(nodes, "cpu", "float32")
    built = recipes.build(graph)
    scope = {"torch": torch}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(recipes.as_code(graph), scope)
    shown = scope[recipes.name(top)]
    assert reference_names(shown) == reference_names(built[top])
    assert torch.equal(shown.detach().double(), built[top].detach().double())


@settings(max_examples=20, deadline=None, database=None)
@given(drawn=parameter_sets())
def test_the_code_shown_for_filled_grads_runs(drawn):
    nodes, _ = drawn
    graph = recipe(nodes, "cpu", "float64")
    scope = {"torch": torch}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(recipes.as_code(graph), scope)
    for i, built in enumerate(recipes.build(graph)):
        shown = scope[recipes.name(i)]
        assert (shown.grad is None) == (built.grad is None)
        if built.grad is not None:
            assert torch.allclose(shown.grad.detach(), built.grad.detach(), rtol=1e-5)  # 6 digits shown
