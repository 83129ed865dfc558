"""Submissions nobody on the kit wrote: correct ones and one-mistake ones from helpers who
saw only the curriculum (tests/submissions/heldout/). Each mistake loses points on its
function, and a misconception named for it is one that describes it (or none at all: a
wrong name is worse than none); the correct ones keep full marks."""

import pytest

from tests.kit import heldout_job, heldout_manifest

ENTRIES = heldout_manifest()
MISTAKES = [e for e in ENTRIES if e["function"]]
OBSERVED = {"input_mutated"}  # a fact the grader saw, true beside any mistake


def _id(entry):
    return f"{entry['set']}/{entry['folder']}"


def test_the_heldout_sets_cover_every_topic_and_name_each_mistake():
    assert {e["topic"] for e in MISTAKES} >= {"manual_grad", "graph_leaves", "retain_graph",
                                             "grad_accumulation", "detach", "gd_loop", "engine"}
    assert len(MISTAKES) >= 60 and sum(not e["function"] for e in ENTRIES) >= 4
    assert all(e["names"] and e["mistake"] for e in MISTAKES)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e["function"]], ids=_id)
def test_a_heldout_correct_submission_gets_full_marks(graded, entry):
    result = graded[heldout_job(entry)]
    assert result.score == result.max_score, [(f.function, f.score) for f in result.functions
                                              if f.score < f.max_score]


@pytest.mark.parametrize("entry", MISTAKES, ids=_id)
def test_a_heldout_mistake_loses_points_and_is_never_misnamed(graded, entry):
    fn = graded[heldout_job(entry)].function(entry["topic"], entry["function"])
    assert fn is not None and fn.score < fn.max_score, f"not caught: {entry['mistake']}"
    names = {c.misconception for c in fn.failed if c.misconception}
    wrong = names - set(entry["names"]) - OBSERVED
    assert not wrong, f"named {sorted(wrong)} for: {entry['mistake']}"


def test_most_heldout_mistakes_are_named(graded, capsys):
    named = sum(bool({c.misconception for c in graded[heldout_job(e)].function(
        e["topic"], e["function"]).failed} & set(e["names"])) for e in MISTAKES)
    with capsys.disabled():
        print(f"\nheld-out mistakes named: {named}/{len(MISTAKES)}")
    assert named / len(MISTAKES) >= 0.9
