"""One grading run for the whole session: solutions, stubs, every mutant and the
sample submissions are graded once and the tests read the results.

Under pytest-xdist (`make test` runs `-n auto`) each worker is a process of its own with its
own session fixtures: the first worker to need the results lays the jobs out, and every
worker that needs them grades in one process beside it, taking jobs one at a time until
none is left (tests/kit.py ``grade_many``); the gradings are done once in all. Without
xdist, two processes grade."""

import json
import os

import pytest
from filelock import FileLock

from gradkit.untrusted import sandbox
from tests.kit import (EXERCISES, HELDOUT, SOLUTIONS, SUBMISSIONS, all_mutants, build_hostile,
                       build_mixed, grade_many, heldout_job, heldout_manifest, whole_topic_sample)

# Tests that grade in this very process need the fork server made before any torch work
# (a fork after torch has started its thread pools gives workers that hang): made now.
sandbox.zygote()

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
# Gradings also made without the grading plan, to compare (tests/test_plan.py): the hostile
# submission, and mutants whose failures come early, late, or as crashes.
UNPLANNED = ("hostile", "mutant/engine/backward_div_sign_b", "mutant/gd_loop/sgd_drops_last_batch",
             "mutant/graph_leaves/names_lists_none_c", "mutant/detach/round_plain")


def _graded_jobs(work):
    jobs = [
        # record_calls: which function each check calls (tests/test_mutants.py)
        {"name": "solutions", "folder": str(SOLUTIONS), "record_calls": True},
        {"name": "solutions-again", "folder": str(SOLUTIONS)},
        {"name": "exercises", "folder": str(EXERCISES)},
        {"name": "hostile", "folder": str(build_hostile(work / "hostile")), "timeout": 2.0},
        {"name": "syntax_error", "folder": str(SUBMISSIONS / "syntax_error"),
         "topics": ["manual_grad"]},
    ]
    mixed = str(build_mixed(work / "mixed"))
    jobs += [{"name": "mixed", "folder": mixed, "pictures": True},
             {"name": "mixed-zh", "folder": mixed, "pictures": True, "lang": "zh"},
             # the same grading on two cores (gradkit/split_grading.py): the very same result
             {"name": "mixed-split", "folder": mixed, "pictures": True, "split": True},
             # and without the grading plan (gradkit/plan.py): the very same result again
             {"name": "mixed-unplanned", "folder": mixed, "pictures": True, "plan": False}]
    jobs += [{"name": f"independent/{name}", "folder": str(SUBMISSIONS / name)}
             for name in ("loops", "functional", "orders", "numpy_minded", "oop")]
    mutants = all_mutants()
    for mutant in mutants:
        # Only the functions the mutant can change: the checks of the others would pass as
        # on solutions/, which tests/test_mutants.py shows without grading them again.
        jobs.append({"name": f"mutant/{mutant.name}", "topics": [mutant.topic],
                     "functions": mutant.graded_functions(),
                     "folder": str(mutant.build(work / "mutants" / mutant.name))})
    for mutant in whole_topic_sample(mutants):
        jobs.append({"name": f"mutant-whole/{mutant.name}", "topics": [mutant.topic],
                     "folder": str(work / "mutants" / mutant.name)})
    for entry in heldout_manifest():  # written from the curriculum only (tests/test_heldout.py)
        one = {"topics": [entry["topic"]], "functions": [entry["function"]]} if entry["function"] else {}
        jobs.append({"name": heldout_job(entry), "folder": str(HELDOUT / entry["set"] / entry["folder"]),
                     **one})
    again = next(j for j in jobs if j["name"] == "mutant/gd_loop/sgd_drops_last_batch")
    jobs.append(dict(again, name="mutant-again"))  # reproducibility of a failing grade
    for name in UNPLANNED:  # graded without the plan too (tests/test_plan.py compares)
        job = next(j for j in jobs if j["name"] == name)
        jobs.append(dict(job, name=f"{name}-unplanned", plan=False))
    return jobs


def _shared(tmp_path_factory):
    # xdist's workers have temporary folders of their own, side by side in one for the run.
    shared = tmp_path_factory.getbasetemp()
    return shared.parent if XDIST_WORKER else shared


@pytest.fixture(scope="session")
def solution_calls(graded, tmp_path_factory):
    """[check node id, module, function] for every call a check made into the worker while
    solutions/ was graded (tests/grade_jobs.py records them)."""
    path = _shared(tmp_path_factory) / "graded" / "result-solutions.json.calls.json"
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def graded_folder(graded, tmp_path_factory):
    """Where the session's gradings left their files (results, and what the grading plan
    did in each: result-NAME.json.plan.json)."""
    return _shared(tmp_path_factory) / "graded"


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    shared = _shared(tmp_path_factory)
    work = shared / "graded"
    # The grading plan (gradkit/plan.py) this session's gradings share: made by the first
    # of them, never one left beside the virtual environment by earlier runs.
    os.environ["GRADKIT_PLAN_DIR"] = str(shared / "plan")
    with FileLock(str(shared / "graded.lock")):
        planned = work / "planned.json"
        if planned.exists():
            jobs = json.loads(planned.read_text())
        else:
            work.mkdir()
            jobs = _graded_jobs(work)
            planned.write_text(json.dumps(jobs))
    return grade_many(jobs, work, processes=1 if XDIST_WORKER else 2)
