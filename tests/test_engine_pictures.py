"""The engine's picture: every node's gradient, the student's beside torch's, the first wrong
node marked (a wrong local rule, found by calling the student's vjp with torch's upstream
gradient; else, when every rule is right, the first leaf the walk gets wrong)."""

import pytest

from gradkit import i18n, render
from tests.kit import MUTANTS, grade_in_one_fresh_process, overlay

# backward walks correctly but its own tanh rule is the node's value (no vjp of its own).
WRONG_RULE_INSIDE_BACKWARD = '''
_right_rule = _vjp
def _vjp(node, inputs, grad_out):
    if node["op"] == "tanh":
        return (grad_out * node["value"],)
    return _right_rule(node, inputs, grad_out)
'''
# Another hand: an explicit stack, every rule right, a shared node's gradient overwritten.
OVERWRITING_WALK = '''
def backward(nodes, root, grad_root):
    import torch
    grads = {root: torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root}
    for i in reversed(range(root + 1)):
        if i not in grads or nodes[i]["op"] in ("leaf", "detach"):
            continue
        inputs = [nodes[j]["value"] for j in nodes[i]["inputs"]]
        for j, g in zip(nodes[i]["inputs"], vjp(nodes[i], inputs, grads[i])):
            if g is not None and nodes[j]["requires_grad"]:
                grads[j] = g                       # overwritten, not added
    return [grads.get(i) if n["op"] == "leaf" and n["requires_grad"] else None
            for i, n in enumerate(nodes)]
'''


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    base = tmp_path_factory.mktemp("engine-pictures")
    folders = [overlay(base / "rule", {"engine": WRONG_RULE_INSIDE_BACKWARD}),
               overlay(base / "walk", {"engine": OVERWRITING_WALK}),
               overlay(base / "overwrites", {"engine": (MUTANTS / "engine" /
                                                        "backward_overwrites.py").read_text()})]
    results = grade_in_one_fresh_process(folders, ["engine"], pictures=True)
    return [r.function("engine", "backward").pictures["graphs"] for r in results]


def _marked_line(pair):
    return pair["student"]["text"].splitlines()[pair["marked"]]


def test_a_wrong_rule_inside_backward_marks_its_node(drawn):
    pair = drawn[0]
    assert pair["counterexample"] and "tanh" in _marked_line(pair)
    assert pair["note"] == i18n.text("engine.picture.wrong_vjp", "en", node=_marked_line(
        pair).split(" =")[0], op="tanh")
    assert "grad" in pair["reference"]["text"] and "yours" in pair["student"]["text"]


@pytest.mark.parametrize("which", [1, 2])
def test_right_rules_in_a_wrong_walk_mark_the_first_wrong_leaf(drawn, which):
    pair = drawn[which]
    assert pair["note"] == i18n.text("engine.picture.walk", "en")
    assert "requires_grad=True" in _marked_line(pair) and "yours" in _marked_line(pair)


def test_the_pictures_are_safe_dot_with_the_marked_node_filled(drawn):
    for pair in drawn:
        assert render.safe(pair["student"]["dot"]) and render.safe(pair["reference"]["dot"])
        assert pair["student"]["dot"].count("fillcolor") == 1
        assert "fillcolor" not in pair["reference"]["dot"]
