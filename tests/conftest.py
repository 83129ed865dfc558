"""One grading run for the whole session: solutions, stubs, every mutant and the
sample submissions are graded once, in two processes, and the tests read the results."""

import pytest

from gradkit.untrusted import sandbox
from tests.kit import (EXERCISES, SOLUTIONS, SUBMISSIONS, all_mutants, build_hostile, build_mixed,
                       grade_many)

# Tests that grade in this very process need the fork server made before any torch work
# (a fork after torch has started its thread pools gives workers that hang): made now.
sandbox.zygote()


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    work = tmp_path_factory.mktemp("graded")
    jobs = [
        {"name": "solutions", "folder": str(SOLUTIONS)},
        {"name": "solutions-again", "folder": str(SOLUTIONS)},
        {"name": "exercises", "folder": str(EXERCISES)},
        {"name": "hostile", "folder": str(build_hostile(work / "hostile")), "timeout": 2.0},
        {"name": "syntax_error", "folder": str(SUBMISSIONS / "syntax_error"),
         "topics": ["manual_grad"]},
    ]
    mixed = str(build_mixed(work / "mixed"))
    jobs += [{"name": "mixed", "folder": mixed, "pictures": True},
             {"name": "mixed-zh", "folder": mixed, "pictures": True, "lang": "zh"}]
    jobs += [{"name": f"independent/{name}", "folder": str(SUBMISSIONS / name)}
             for name in ("loops", "functional", "orders", "numpy_minded", "oop")]
    for mutant in all_mutants():
        jobs.append({"name": f"mutant/{mutant.name}", "topics": [mutant.topic],
                     "folder": str(mutant.build(work / "mutants" / mutant.name))})
    again = next(j for j in jobs if j["name"] == "mutant/gd_loop/sgd_drops_last_batch")
    jobs.append(dict(again, name="mutant-again"))  # reproducibility of a failing grade
    return grade_many(jobs, work)
