"""The engine's picture: every node's gradient, the student's beside torch's, the first wrong
node marked (a wrong local rule, found by calling the student's vjp with torch's upstream
gradient; else, when every rule is right, the first leaf the walk gets wrong)."""

import re
import shutil

import pytest

from gradkit import i18n, render
from gradkit.reporters import html_report
from tests.kit import MUTANTS, grade_in_one_fresh_process, overlay

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

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
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("engine-pictures")
    folders = [overlay(base / "rule", {"engine": WRONG_RULE_INSIDE_BACKWARD}),
               overlay(base / "walk", {"engine": OVERWRITING_WALK}),
               overlay(base / "overwrites", {"engine": (MUTANTS / "engine" /
                                                        "backward_overwrites.py").read_text()})]
    return grade_in_one_fresh_process(folders, ["engine"], pictures=True)


@pytest.fixture(scope="module")
def drawn(graded):
    return [r.function("engine", "backward").pictures["graphs"] for r in graded]


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


def test_a_wrong_vjp_is_named_as_the_cause_of_a_wrong_backward(graded):
    """backward uses the student's own (wrong) tanh vjp: backward loses points, and its
    message says the first wrong node's vjp is the cause and backward is right given it."""
    fn = graded[0].function("engine", "backward")
    assert fn.score < fn.max_score
    given = i18n.text("engine.backward_vjp_given", "en", node="@", op="tanh").split("@")[-1]
    assert any(given in c.message for c in fn.failed), [c.message for c in fn.failed]


def test_the_walk_mistake_is_not_blamed_on_vjp(graded):
    fn = graded[1].function("engine", "backward")
    cause = i18n.text("engine.backward_vjp_given", "en", node="@", op="@").split("@")[1]
    assert fn.failed and not any(cause in c.message for c in fn.failed)


# The rendered size of every text in the graph pictures, in CSS px (font size times the
# SVG's scale on screen), and whether the page itself scrolls sideways.
SMALLEST_TEXT = """() => Math.min(...[...document.querySelectorAll('.graphs svg text')]
    .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"""
GLYPH_HEIGHT = """() => Math.min(...[...document.querySelectorAll('.graphs svg text')]
    .filter(t => t.textContent.trim()).map(t => t.getBoundingClientRect().height))"""
PAGE_WIDER = "() => document.documentElement.scrollWidth - window.innerWidth"
FIGURE_SCROLLS = """() => [...document.querySelectorAll('.graphs figure')]
    .some(f => f.scrollWidth > f.clientWidth)"""


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [1280, 390])
def test_graph_pictures_are_readable_at_desktop_and_phone_widths(graded, tmp_path, width):
    """In the HTML report, the engine's pictures are drawn at their own size (text at least
    12 px on screen at 1280 and at 390 px wide), a picture wider than the screen scrolls
    inside its frame instead of shrinking to a thumbnail, and the page does not."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not render.dot_available():
        pytest.skip("graphviz's dot is not installed: the report shows graphs as text")
    page = tmp_path / "index.html"
    page.write_text(html_report.page(graded[0]), encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            tab.goto(page.as_uri())
            assert tab.locator(".graphs figure svg").count() >= 2  # yours and torch's
            assert tab.evaluate(SMALLEST_TEXT) >= 12
            assert tab.evaluate(GLYPH_HEIGHT) >= 12
            assert tab.evaluate(PAGE_WIDER) <= 0
            if width == 390:
                assert tab.evaluate(FIGURE_SCROLLS)  # a graph this size scrolls on a phone
        finally:
            browser.close()


def _unused_nodes(code: str) -> list[str]:
    """The tK of a graph's code that nothing after them uses (the root aside)."""
    lines = [line for line in code.splitlines() if " = " in line]
    names = [line.split(" = ")[0] for line in lines]
    root = code.splitlines()[-1].split(".backward")[0]
    used = {name for line in lines for name in re.findall(r"\bt\d+\b", line.split(" = ", 1)[1])}
    return [n for n in names if n not in used and n != root]


def test_a_random_failing_graph_is_shown_with_only_the_nodes_it_depends_on(graded):
    """After hypothesis's shrink, nodes the failure does not depend on are cut: every node of
    the graph shown for the random-graph check is used on the way to the root."""
    shown = [c for r in graded for c in r.function("engine", "backward").failed
             if c.name.startswith("backward_matches_torch[cpu")]
    assert shown
    for check in shown:
        code = check.inputs["graph"]
        assert _unused_nodes(code) == [], code
        assert len([line for line in code.splitlines() if " = " in line]) <= 8, code
