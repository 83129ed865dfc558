"""Every catalogued wrong answer loses points on the function it breaks and nowhere
else, and every check in checks/ is shown to fail on at least one of them."""

import pytest

from gradkit import catalog, i18n
from tests.kit import all_mutants

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


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_points_only_where_it_breaks(graded, mutant):
    result = graded[f"mutant/{mutant.name}"]
    for fn in result.functions:
        if fn.function == mutant.breaks:
            assert fn.score < fn.max_score, f"{mutant.name} was not caught"
            assert all(c.error_kind != "harness" for c in fn.failed), fn.failed[0].message
        else:
            assert fn.score == fn.max_score, f"{mutant.name} also cost {fn.function}"


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
