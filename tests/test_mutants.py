"""Every catalogued wrong answer loses points on the function it breaks and nowhere
else, and every check in checks/ is shown to fail on at least one of them."""

from pathlib import PurePosixPath

import pytest

from gradkit import catalog, i18n
from gradkit.results import GradeResult
from tests.kit import all_mutants, whole_topic_sample

MUTANTS = all_mutants()


def test_there_are_enough_mutants_per_topic():
    for topic in ("manual_grad", "gd_loop"):
        assert sum(m.topic == topic for m in MUTANTS) >= 7
    graph_topics = ("graph_leaves", "retain_graph", "grad_accumulation", "detach")
    for topic in graph_topics:
        assert sum(m.topic == topic for m in MUTANTS) >= 4, topic
    assert sum(m.topic in graph_topics for m in MUTANTS) >= 16
    assert {m.topic for m in MUTANTS} == set(catalog.TOPIC_NAMES)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_declares_what_it_breaks(mutant):
    assert mutant.breaks in [f.name for f in catalog.topic(mutant.topic).functions]
    assert isinstance(mutant.misconception, str) and mutant.misconception
    assert mutant.source.lstrip().startswith('"""'), "say in a docstring what the mistake is"


def _losses_only_where_it_breaks(mutant, result) -> None:
    for fn in result.functions:
        if fn.function == mutant.breaks:
            assert fn.score < fn.max_score, f"{mutant.name} was not caught"
            assert all(c.error_kind != "harness" for c in fn.failed), fn.failed[0].message
        else:
            assert fn.score == fn.max_score, f"{mutant.name} also cost {fn.function}"


def _topic_functions(topic: str) -> list[str]:
    return [f.name for f in catalog.topic(topic).functions]


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_points_only_where_it_breaks(graded, mutant):
    """Each mutant is graded on the functions its source can change (the one it breaks,
    and any other that reaches a definition it replaces: gradkit.function_changes, as
    `check --watch` reads a save). Those it leaves out run the code of solutions/ under
    checks that call only their own function (test_each_check_calls_only_its_own_function),
    so they pass as on solutions/; one mutant per topic is graded whole to show it."""
    result = graded[f"mutant/{mutant.name}"]
    selected = mutant.graded_functions()
    assert selected is None or mutant.breaks in selected, (mutant.name, selected)
    assert [f.function for f in result.functions] == (selected or _topic_functions(mutant.topic))
    _losses_only_where_it_breaks(mutant, result)


def _check_function(result) -> dict[tuple[str, bool, str], str]:
    """(topic, hidden, check name with its parameters) -> the function it grades."""
    return {(f.topic, c.hidden, c.name): f.function for f in result.functions for c in f.checks}


def _check_of(node_id: str) -> tuple[str, bool, str]:
    """A pytest node id ("checks/[hidden/]topic.py::test_name[params]") as such a key."""
    path, _, name = node_id.partition("::")
    parts = PurePosixPath(path).parts
    return PurePosixPath(path).stem, "hidden" in parts, name.removeprefix("test_")


def test_each_check_calls_only_its_own_function(graded, solution_calls):
    """The structural half of "a mutant loses points nowhere else": while solutions/ was
    graded, every call any check made into the student's worker (a spy on the one door,
    Submission.call) went to the function that check grades, and to no other."""
    owner = _check_function(graded["solutions"])
    called: dict[str, set[str]] = {}
    for node_id, module, function in solution_calls:
        assert node_id, f"a call to {module}.{function} outside any check"
        topic, hidden, check = _check_of(node_id)
        assert (topic, hidden, check) in owner, f"{node_id} grades no function"
        assert (module, function) == (topic, owner[(topic, hidden, check)]), \
            f"{node_id} grades {owner[(topic, hidden, check)]} but called {module}.{function}"
        called.setdefault(topic, set()).add(function)
    # the spy saw every function called (it is not looking at an empty list)
    assert called == {t: set(_topic_functions(t)) for t in catalog.TOPIC_NAMES}


SAMPLE = whole_topic_sample(MUTANTS)


def test_the_whole_topic_sample_covers_every_topic_with_a_selection():
    assert sorted(m.topic for m in SAMPLE) == sorted(catalog.TOPIC_NAMES)
    assert all(m.graded_functions() is not None for m in SAMPLE)


@pytest.mark.parametrize("mutant", SAMPLE, ids=[m.name for m in SAMPLE])
def test_a_sampled_mutant_graded_on_its_whole_topic_costs_nothing_else(graded, mutant):
    """One mutant per topic graded on the whole topic as well: it loses points only on the
    function it breaks, and the functions graded alone got the very same check results."""
    whole = graded[f"mutant-whole/{mutant.name}"]
    assert [f.function for f in whole.functions] == _topic_functions(mutant.topic)
    assert "partial" not in whole.environment
    _losses_only_where_it_breaks(mutant, whole)
    alone = graded[f"mutant/{mutant.name}"]
    for fn in alone.functions:
        assert _verdicts(fn) == _verdicts(whole.function(fn.topic, fn.function)), fn.function


def _verdicts(fn) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "duration"}
            for c in GradeResult(submission="", functions=[fn]).to_dict()["functions"][0]["checks"]]


def test_a_result_of_some_functions_says_it_is_partial(graded):
    mutant = next(m for m in MUTANTS if m.graded_functions() == [m.breaks])
    result = graded[f"mutant/{mutant.name}"]
    graded_names = [f"{mutant.topic}.{mutant.breaks}"]
    assert result.environment["partial"] == {"functions": graded_names}
    assert any("partial" in note and graded_names[0] in note for note in result.notes)
    assert result.max_score == catalog.function(mutant.topic, mutant.breaks).points
    assert "partial" not in graded["solutions"].environment


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_gets_its_declared_misconception_in_both_languages(graded, mutant):
    result = graded[f"mutant/{mutant.name}"]
    named = {c.misconception for f in result.functions for c in f.failed}
    assert mutant.misconception in named, f"{mutant.name}: the report names {named}"
    for lang in i18n.LANGS:
        assert i18n.misconception(mutant.misconception, lang)


def test_every_check_names_a_catalogued_misconception_or_none(graded):
    """In every results file: a passed check names no misconception, a failed one a
    catalogued id or null (the LMS formats and summaries read the id)."""
    known = set(i18n.misconceptions())
    named = 0
    for name, result in graded.items():
        for fn in result.to_dict()["functions"]:
            for c in fn["checks"]:
                mid = c["misconception"]
                assert mid is None or (not c["passed"] and mid in known), (name, c["name"], mid)
                named += mid is not None
    assert named > 0


def test_every_check_fails_on_some_mutant(graded):
    checks = {c.check for f in graded["solutions"].functions for c in f.checks}
    caught = {c.check for m in MUTANTS for f in graded[f"mutant/{m.name}"].functions
              for c in f.failed}
    assert checks - caught == set(), "these checks fail on no mutant"
