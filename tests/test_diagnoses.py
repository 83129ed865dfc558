"""Diagnoses are named only from evidence: a wrong formula must explain every failing
example it was tried on, the counterexample shown among them; tuples are diagnosed
component by component; where no named mistake fits, the failure profile names the
input feature that separates the passing examples from the failing ones.

The tests here grade a few submissions of their own (one topic each, few examples),
so they run without the session-wide grading fixture."""

from __future__ import annotations

import ast

import pytest
import torch
from rich.console import Console

from checks.diagnose import matches, scaled
from gradkit import evidence, i18n
from gradkit.reporters import html_report, terminal
from gradkit.results import FAILED, CheckResult, FunctionResult, GradeResult
from tests.kit import KIT, MUTANTS, grade_in_one_fresh_process, overlay

UNNAMED = KIT / "tests" / "submissions" / "unnamed"


# -- the rules, without grading ---------------------------------------------------------------

def _example(features, matched=(), examined=("a", "b")):
    e = evidence.Example(features)
    e.failed = e.ran = True
    e.examined, e.matched = set(examined), list(matched)
    return e


def test_a_diagnosis_must_explain_every_failing_example_it_was_tried_on():
    failing = [_example({}, ["a", "b"]), _example({}, ["a"]), _example({}, ["b"], examined=("b",))]
    # "a" was not tried on the third example, so it stands on the first two; "b" missed #2.
    assert evidence.verified(["a", "b"], failing) == ["a"]
    assert evidence.verified(["a", "b"], failing[:2]) == ["a"]
    assert evidence.verified(["b"], failing[:1]) == ["b"]


def test_one_coincidence_is_not_a_diagnosis():
    coincidence = _example({}, ["a", "b"])      # both formulas agree on this input
    elsewhere = _example({}, ["b"])             # only "b" explains this one
    assert evidence.verified(["a", "b"], [coincidence, elsewhere]) == ["b"]


def test_the_profile_names_the_separating_feature():
    def passed(**f):
        e = evidence.Example(f)
        e.ran = True
        return e
    failing = [_example({"n_is_1": False, "x_has_zero": v}) for v in (True, False, False)]
    passing = [passed(n_is_1=True, x_has_zero=False), passed(n_is_1=True, x_has_zero=True),
               passed(n_is_1=False, x_has_zero=True)]
    found = evidence.profile(passing, failing)
    assert found["feature"] == "n_is_1" and found["wrong_when"] is False
    assert (found["passed"], found["failed"], found["among"]) == (2, 3, 4)
    assert evidence.profile(passing, []) is None
    assert evidence.profile([], failing) is None


def test_tuples_are_diagnosed_component_by_component():
    expected = (torch.tensor(4.0), torch.tensor(2.0))
    half_w = (torch.tensor(2.0), torch.tensor(2.0))
    d = scaled("dropped_factor_2", 0.5)
    assert d.explains(half_w, expected)
    assert d.parts(half_w, expected, ("dL/dw", "dL/db")) == [
        ["dL/dw", False, "half", 0.5], ["dL/db", True, "half", 0.5]]
    assert not d.explains((torch.tensor(2.0), torch.tensor(3.0)), expected)
    assert not d.explains(expected, expected)  # a right answer is no mistake
    wrong = matches("missing_input_factor", lambda: (torch.tensor(2.0), torch.tensor(2.0)))
    assert wrong.explains(half_w, expected)
    for lang in i18n.LANGS:
        line = "; ".join(terminal.part_text(p, lang) for p in d.parts(half_w, expected, ("w", "b")))
        assert "w" in line and "b" in line


# -- the reports: a diagnosis only beside its own check's counterexample ------------------------

def _result(checks, lang="en"):
    return GradeResult("s", [FunctionResult("manual_grad", "linear_mse_grad", 2.0, checks)],
                       language=lang)


def _render(result) -> str:
    console = Console(record=True, width=300, color_system=None)
    terminal.render(result, console)
    return console.export_text()


def test_no_diagnosis_beside_another_checks_counterexample():
    plain = CheckResult("prop", FAILED, "linear_mse_grad(x=[1.0]): dL/dw differs", call="CALL_A",
                        expected="EXP_A", got="GOT_A")
    named = CheckResult("worked", FAILED, "linear_mse_grad(x=[2.0]): dL/dw differs", call="CALL_B",
                        expected="EXP_B", got="GOT_B", misconception="dropped_factor_2")
    for report in (_render(_result([plain, named])),
                   html_report.page(_result([plain, named]))):
        assert "CALL_B" in report and "CALL_A" not in report
    alone = _render(_result([plain]))
    assert "CALL_A" in alone and i18n.misconception("dropped_factor_2", "en") not in alone


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_expected_and_got_are_aligned_by_display_width(lang):
    check = CheckResult("prop", FAILED, "m", call="c", expected="1.0", got="2.0")
    lines = [line for line in _render(_result([check], lang)).splitlines()
             if "1.0" in line or "2.0" in line]
    assert len(lines) == 2
    from rich.cells import cell_len
    starts = [cell_len(line[:line.index(v)]) for line, v in zip(lines, ("1.0", "2.0"))]
    assert starts[0] == starts[1], lines


def test_profile_is_shown_in_both_languages():
    found = {"feature": "n_is_1", "wrong_when": False, "passed": 3, "failed": 4, "among": 5}
    check = CheckResult("prop", FAILED, "m", call="c", expected="1", got="2", profile=found)
    en, zh = _render(_result([check])), _render(_result([check], "zh"))
    assert "right whenever n = 1" in en and "n > 1" in en
    assert "当 n = 1 时都正确" in zh
    assert "n_is_1" in html_report.page(_result([check])) or "n = 1" in html_report.page(_result([check]))
    assert GradeResult.from_dict(_result([check]).to_dict()).functions[0].checks[0].profile == found


# -- graded for real ------------------------------------------------------------------------

def _grade(tmp_path, topic, source, lang="en"):
    folder = overlay(tmp_path / "sub", {topic: source})
    return grade_in_one_fresh_process([folder], [topic], lang)[0]


def test_a_mutant_no_diagnosis_fits_gets_its_failure_profile(tmp_path):
    path = UNNAMED / "linear_first_sample.py"
    consts = {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(path.read_text()).body
              if isinstance(n, ast.Assign)}
    result = _grade(tmp_path, consts["TOPIC"], path.read_text())
    fn = result.function(consts["TOPIC"], consts["BREAKS"])
    assert fn.failed and not any(c.misconception for c in fn.failed)
    feature, wrong_when = consts["PROFILE"]
    profiled = [c.profile for c in fn.failed if c.profile]
    assert profiled and all(p["feature"] == feature and p["wrong_when"] == wrong_when
                            for p in profiled), profiled
    assert "right whenever n = 1" in _render(result)


def test_a_coincidence_on_a_worked_example_is_not_named(tmp_path):
    """∂L/∂w halved coincides with "∂ŷ/∂w = x missing" on the worked example x = [2];
    the property check's examples rule that name out, and ∂L/∂b is said to be right."""
    source = (MUTANTS / "manual_grad" / "linear_dw_halved.py").read_text()
    result = _grade(tmp_path, "manual_grad", source)
    fn = result.function("manual_grad", "linear_mse_grad")
    named = {c.misconception for c in fn.failed}
    assert "missing_input_factor" not in named and "dropped_factor_2" in named
    shown = next(c for c in fn.failed if c.misconception)
    assert [p[1] for p in shown.parts] == [False, True]
    report = _render(result)
    assert "dL/dw is exactly half; dL/db is right" in report
    assert i18n.misconception("missing_input_factor", "en") not in report


# -- polish -----------------------------------------------------------------------------------

def test_a_syntax_error_is_reported_once_per_file():
    message = "manual_grad.py has a syntax error on line 6: '(' was never closed"
    functions = [FunctionResult("manual_grad", name, 2.0, [
        CheckResult("c", FAILED, f"{name}(x=1): {message}", call=f"{name}(x=1)",
                    error_kind="syntax_error")])
        for name in ("linear_mse_grad", "sigmoid_neuron_grad", "matrix_mse_grad")]
    for lang in i18n.LANGS:
        report = _render(GradeResult("s", functions, language=lang))
        assert report.count("syntax error on line 6") == 1, report
        assert report.count(i18n.text("report.same_error", lang)) == 2


def test_hint_for_a_topic_or_a_near_miss_suggests_functions():
    from gradkit.cli import _unknown_function
    i18n.set_language("en")
    assert "linear_mse_grad" in _unknown_function("manual_grad")
    assert "linear_mse_grad" in _unknown_function("linear_mse_gard")
    assert _unknown_function("zzzz") == i18n.text("hint.unknown", function="zzzz")


def test_the_stub_tests_read_the_pristine_stubs():
    from tests.kit import EXERCISES
    for path in EXERCISES.glob("*.py"):
        assert "NotImplementedError" in path.read_text(encoding="utf-8"), path


def test_printed_output_is_cleaned_and_capped():
    from gradkit.plugin import OUTPUT_SHOWN, clean_output, printed_since
    assert clean_output("a\x1b[31mred\x1b[0m\r\nb\x07c\n") == "ared\nbc"
    assert len(clean_output("x" * 10_000)) <= OUTPUT_SHOWN
    assert printed_since((1, "old\n"), (1, "old\nnew\n")) == "new"
    assert printed_since((1, "old\n"), (2, "fresh\n")) == "fresh"


# -- pictures of the counterexample itself ----------------------------------------------------

CHROMIUM = __import__("shutil").which("chromium") or __import__("shutil").which("chromium-browser")


def test_the_report_draws_the_counterexamples_own_graph(tmp_path):
    from gradkit.runner import grade
    source = (MUTANTS / "graph_leaves" / "names_repeats_shared_nodes.py").read_text()
    folder = overlay(tmp_path / "sub", {"graph_leaves": source})
    result = grade(str(folder), ["graph_leaves"], lang="en", pictures=True)
    fn = result.function("graph_leaves", "grad_fn_names")
    shown = next((c for c in fn.failed if c.misconception), fn.failed[0])
    drawn = fn.pictures["graphs"]
    assert drawn["counterexample"] and drawn["call"] == shown.call
    leaves = {name for name in ("t0", "t1", "t2", "t3", "t4", "t5") if f"→ {name} " in
              drawn["reference"]["text"]}
    assert leaves and all(name in shown.inputs["graph"] for name in leaves)
    page = html_report.write(result, str(tmp_path / "html"))
    text_ = open(page, encoding="utf-8").read()
    assert html_report.html.escape(i18n.text("report.drawn_for", "en", call=shown.call)) in text_
    if CHROMIUM:
        import subprocess
        dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                              "--dump-dom", f"file://{page}"],
                             capture_output=True, timeout=120, check=True, text=True).stdout
        assert "drawn-for" in dom and shown.call.split("(")[0] in dom


def test_latin_and_cjk_are_spaced_in_zh():
    assert terminal.spaced("运行gradkit hint x的结果，第3步") == "运行 gradkit hint x 的结果，第 3 步"
    check = CheckResult("prop", FAILED, "c: 返回了None而不是tensor", call="c")
    assert "返回了 None 而不是 tensor" in _render(_result([check], "zh"))


def test_graph_trees_are_numbered_breadth_first_and_the_first_difference_marked():
    tree = "AddBackward0\n├─ MulBackward0\n│  └─ AccumulateGrad → t0\n└─ TanhBackward0"
    assert terminal.numbered(tree).splitlines() == [
        "#0 AddBackward0", "├─ #1 MulBackward0", "│  └─ #3 AccumulateGrad → t0",
        "└─ #2 TanhBackward0"]
    other = tree.replace("Tanh", "Sigmoid")
    drawn = {"student": {"text": other}, "reference": {"text": tree}, "call": "f(t=t3)"}
    assert terminal.first_difference(drawn) == 3
    fn = FunctionResult("graph_leaves", "grad_fn_names", 2.0,
                        [CheckResult("c", FAILED, "f(t=t3): differs", call="f(t=t3)")],
                        pictures={"graphs": drawn})
    out = _render(GradeResult("s", [fn]))
    assert "graphs drawn for f(t=t3)" in out
    marked = [line for line in out.splitlines() if "◀" in line]
    assert len(marked) == 1 and "SigmoidBackward0" in marked[0]


def test_list_progress_is_kept_per_target(tmp_path, monkeypatch):
    from gradkit import progress
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    result = _result([CheckResult("c", "passed")])
    progress.save_scores(result, "a")
    assert progress.scores("a") == {"manual_grad.linear_mse_grad": [2.0, 2.0]}
    assert progress.scores("b") == {}


# -- diagnosis that generalizes: wrong variants of the reference (checks/variants.py) ------------

def test_the_right_knobs_are_the_reference():
    """Every manual_grad variant differs from its reference by its one knob only: with
    every knob right, the knobbed reference is torch autograd's answer."""
    from checks import manual_grad, variants
    g = torch.Generator().manual_seed(3)
    X, y = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64)
    W1, b1 = torch.randn(4, 3, generator=g, dtype=torch.float64), torch.randn(4, generator=g, dtype=torch.float64)
    W2, t = torch.randn(4, generator=g, dtype=torch.float64), torch.tensor(0.3, dtype=torch.float64)
    w, b = torch.tensor(0.7, dtype=torch.float64), torch.tensor(-0.2, dtype=torch.float64)
    cases = [(variants.linear, manual_grad.linear_ref, (X[:, 0], y, w, b)),
             (variants.sigmoid, manual_grad.sigmoid_ref, (X[0], W1[0, :3], t)),
             (variants.matrix, manual_grad.matrix_ref, (X, y, W1[0])),
             (variants.two_layer, manual_grad.two_layer_ref, (X, y, W1, b1, W2, t))]
    for knobbed, reference, args in cases:
        got, want = knobbed(variants.RIGHT, *args), reference(*args)
        for g_, w_ in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            assert torch.allclose(g_, w_), knobbed.__name__


def _judged(failed, verdict):
    e = evidence.Example({})
    e.ran, e.failed, e.wrong = True, failed, failed
    e.judge = lambda: dict(verdict)
    return e


def test_a_variant_must_reproduce_the_passing_examples_too():
    failing = [_judged(True, {"a": True, "b": True}), _judged(True, {"a": True, "b": True})]
    passing = [_judged(False, {"a": True, "b": False})]  # "b" predicts a failure that did not happen
    assert evidence.reproduced_everywhere(failing + passing) == ["a"]
    assert evidence.reproduced_everywhere(passing) == []          # nothing failed: nothing to name
    assert evidence.reproduced_everywhere(failing[:1] + passing) == []  # one wrong answer: chance
    assert evidence.reproduced_everywhere([_judged(True, {"a": False})] + failing) == []
    unjudged = evidence.Example({})
    unjudged.failed = True
    assert evidence.reproduced_everywhere(failing + [unjudged]) == ["a", "b"]
    # A rule broken with a right value (the variants coincide with it there) is no ground.
    right_value = [_judged(True, {"a": True}), _judged(True, {"a": True})]
    for e in right_value:
        e.wrong = False
    assert evidence.reproduced_everywhere(right_value) == []


def test_a_variant_and_a_hand_written_diagnosis_that_disagree_name_nothing():
    from gradkit.plugin import GradingPlugin

    def named(hand, found):
        result = CheckResult("c", FAILED, "m", misconception=hand, parts=[["w", False, "half", 0.5]])
        GradingPlugin._name_by_variants(("t", "f"), result, found)
        return result.misconception
    assert named(None, ["divided_by_n_squared"]) == "divided_by_n_squared"
    assert named("dropped_factor_2", ["divided_by_n_squared"]) is None      # disagree: neither
    assert named("dropped_factor_2", ["dropped_factor_2", "x"]) == "dropped_factor_2"
    assert named(None, ["a", "b"]) is None                                  # two fit: neither
    assert named("dropped_factor_2", []) == "dropped_factor_2"              # no variant fits: as before


def test_reproduces_compares_like_the_checks():
    from checks.families import GradIsNone, OneOf, Raised, reproduces
    t = torch.tensor([1.0, 2.0])
    assert reproduces(t + 1e-6, t) and not reproduces(t * 2, t)
    assert not reproduces(t.double(), t)                          # the dtype is part of the answer
    assert reproduces((t, t), (t, t)) and not reproduces((t,), (t, t))
    assert reproduces(Raised("element 0 does not require grad"), Raised("does not require grad"))
    assert not reproduces(t, Raised("does not require grad"))
    assert not reproduces(Raised("boom"), t)
    assert reproduces(None, GradIsNone()) and reproduces(Raised("'NoneType' object has no attribute"),
                                                         GradIsNone())
    assert not reproduces(torch.zeros(2), GradIsNone())
    either = OneOf((Raised("does not require grad"), t))
    assert reproduces(t, either) and reproduces(Raised("x does not require grad"), either)
    assert not reproduces(t * 3, either)
    inf = torch.tensor([float("inf"), 1.0])
    assert reproduces(inf.clone(), inf) and not reproduces(torch.tensor([1.0, 1.0]), inf)


# -- every mutant of the kit: a name is right or absent (the session-wide grading) ---------------

# Names that state a fact the grader saw (the input's bytes changed), never an inference
# about the cause: beside any mistake, they are true whenever they are given.
OBSERVED = {"input_mutated"}


def _also_named(mutant) -> set[str]:
    """Names a mutant's own docstring-declared second mistake earns (``ALSO = "id, id"``)."""
    for node in ast.parse(mutant.source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ALSO":
            return {s.strip() for s in ast.literal_eval(node.value).split(",") if s.strip()}
    return set()


class _RateLine:
    """Prints the rate of named mistakes in `make test`'s terminal summary."""

    def __init__(self, line: str):
        self.line = line

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.write_sep("-", "diagnoses of the kit's mutants")
        terminalreporter.write_line(self.line)


def test_no_mutant_gets_a_name_that_contradicts_its_mistake(graded, request):
    from tests.kit import all_mutants
    named, wrong, total = 0, [], 0
    for mutant in all_mutants():
        result = graded[f"mutant/{mutant.name}"]
        fn = result.function(mutant.topic, mutant.breaks)
        if fn is None or not fn.failed:
            continue
        total += 1
        names = {c.misconception for c in fn.failed if c.misconception}
        named += mutant.misconception in names
        contradicting = names - {mutant.misconception} - _also_named(mutant) - OBSERVED
        if contradicting:
            wrong.append(f"{mutant.name}: {sorted(contradicting)} (listed: {mutant.misconception})")
    line = (f"named mistakes: {named}/{total} mutants ({100 * named / max(total, 1):.1f} %), "
            f"wrong names: {len(wrong)}")
    request.config.pluginmanager.register(_RateLine(line), "gradkit-diagnosis-rate")
    print(line)
    assert not wrong, "\n".join(wrong)
    assert total and named / total >= 0.9, line


def test_a_crash_on_the_smallest_example_shows_the_next_failing_value(graded):
    """accumulated_grad without the last micro-batch raises where micro_batch > m (the
    smallest counterexample); the report shows a failing example with a value, named."""
    result = graded["mutant/grad_accumulation/accumulated_drops_last"]
    fn = result.function("grad_accumulation", "accumulated_grad")
    shown = next(c for c in fn.failed if c.misconception)
    assert shown.misconception == "last_micro_batch_dropped" and shown.got is not None
    assert shown.error_kind is None and "NoneType" in shown.message  # says a smaller input raised


# -- families for graph_leaves, engine and detach: each one change from the reference -----------

def _graphs_for_walks():
    """Small graphs where the walks differ: two branches, a shared node, a constant."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    c = torch.tensor([1.0, 1.0])
    a = x * w
    yield ((a + torch.tanh(x)) * c + a.exp()).sum()
    yield (x * x).sum()
    yield torch.sigmoid(w) * c + x
    yield x.detach() * 2


def test_the_right_walk_is_the_reference_and_every_wrong_walk_differs():
    from dataclasses import replace
    from checks import variants
    from checks.graph_leaves import reference_names
    graphs = list(_graphs_for_walks())
    for t in graphs:
        assert variants.walk_names(variants.RIGHT_WALK, t) == reference_names(t)
    for mid, turned in variants.WALKS:
        walk = replace(variants.RIGHT_WALK, **turned)
        assert any(variants.walk_names(walk, t) != reference_names(t) for t in graphs), (mid, turned)
    assert variants.walk_names(variants.RIGHT_WALK, graphs[-1]) == []  # no grad_fn: no names


def test_each_vjp_family_changes_one_rule_and_no_other():
    """A vjp variant answers as the reference for every op its rule says nothing about, and
    the rules about the point where a derivative is taken differ from it on their op."""
    from checks import engine_graphs as eg
    from checks import variants
    x = torch.tensor([[0.5, -1.0], [0.0, 0.25]], dtype=torch.float64)
    g = torch.tensor([[0.7, -1.3], [1.1, 0.4]], dtype=torch.float64)
    cases = {op: [x] for op in ("tanh", "sigmoid", "exp", "relu", "neg")}
    cases |= {"mul": [x, x[0]], "sub": [x, x[:, :1]], "matmul": [x, x.t()]}
    changed: dict[str, set] = {}
    for mid, rules in eg.WRONG_RULES.items():
        for rule in rules:
            for op, inputs in cases.items():
                out = eg.apply(op, inputs)
                node = {"op": op, "inputs": list(range(len(inputs))), "value": out}
                want = eg.op_vjp(op, None, inputs, g)
                got = variants.vjp_with_rule(rule, node, inputs, g)
                if rule(op, None, inputs, g, out) is None:
                    assert all(torch.equal(a, b) for a, b in zip(got, want)), (mid, op)
                elif any(not torch.allclose(a, b) for a, b in zip(got, want)):
                    changed.setdefault(mid, set()).add(op)
    assert changed["tanh_derivative_from_input"] == {"tanh"}
    assert changed["derivative_of_output"] == {"tanh", "sigmoid", "exp"}
    assert changed["relu_grad_at_zero"] == {"relu"}


def test_straight_through_family_answers_value_or_gradient():
    from checks.families import families, reproduces
    from checks.variants import Upstream
    (family,) = families("detach", "straight_through_round")
    x, v = torch.tensor([0.4, 1.5, -2.6]), torch.tensor([0.5, -1.0, 2.0])
    assert reproduces(torch.round(x), family.answer(x))
    assert reproduces(-v, family.answer(x, Upstream(v)))
    assert not reproduces(v, family.answer(x, Upstream(v)))  # the right gradient is not it


def test_the_new_families_stay_out_of_the_student_bundle():
    """Each wrong walk and wrong rule is one edit from an answer: marked kit-only, and the
    loops that register them read a kit-only guard the bundle's stub makes false."""
    from gradkit import bundle
    from tests.kit import KIT
    source = (KIT / "checks" / "variants.py").read_text(encoding="utf-8")
    marked = bundle.marked(source)
    for name in ("_in_kit", "walk_names", "vjp_with_rule", "_leaf_only_if_tracked",
                 "_every_reached_tensor", "_straight_through_x_detached"):
        assert marked.get(name) == ("kit_only", None), name
    carried = bundle.student_source("checks/variants.py", source)
    assert "return True" not in carried.split("def _in_kit", 1)[1].split("\ndef ", 1)[0]


def test_a_tensor_answer_against_a_plain_prediction_is_a_plain_no():
    """A variant that predicts a bool, None or a stub's [] (the student bundle's kit-only
    builders) never compares a student's tensor elementwise: the verdict stays a bool."""
    from checks.families import reproduces
    got = torch.tensor([1.0, 2.0])
    for want in (True, 1.0, None, [], "x"):
        assert reproduces(got, want) is False
    assert reproduces(True, True) is True and reproduces([1, 2], [1, 2]) is True
    examples = []
    for _ in range(3):
        example = evidence.Example({})
        example.wrong, example.judge = True, lambda: {"m": torch.tensor([True, True])}
        examples.append(example)
    assert evidence.reproduced_everywhere(examples) == []  # not "ambiguous", not named
