"""Grade a list of submissions in one process (torch imported once).

Usage: python tests/grade_jobs.py JOBS.json [CLAIMS], where JOBS.json is a list of
{"folder", "topics", "functions", "out", "timeout", "function_budget", "lang", "pictures",
"record_calls", "plan"}; each result is written to "out"
(whole: a reader never sees half a file). With CLAIMS (a folder), several such
processes share one list: each job is taken by the first process that claims it there (a
file made with O_EXCL, holding the claimer's pid), so the processes finish together however
uneven the jobs are. With "record_calls", every call a check makes into the student's
worker is also written to "out".calls.json as [check node id, module, function] (before the
result, so it is there when the result is). "plan": false grades without the grading plan
(gradkit/plan.py); what the plan did in each job ({"replayed", "handed_over", "recorded"}
checks) is written to "out".plan.json. A job whose grading raises leaves "out".error with the traceback (the
process goes on with the next job and exits 1).
"""

import contextlib
import json
import os
import sys
import traceback
from typing import Any, Iterator

from gradkit import plan
from gradkit.reporters import json_report
from gradkit.runner import grade
from gradkit.untrusted import sandbox
from gradkit.untrusted.sandbox import FUNCTION_BUDGET_S


@contextlib.contextmanager
def recording_calls(calls: list[list[str]]) -> Iterator[None]:
    """Record which check asks the worker for which (module, function): a spy on the one
    door every check's call goes through (``Submission.call``). pytest names the running
    check in PYTEST_CURRENT_TEST ("path::name[params] (call)")."""
    original = sandbox.Submission.call

    def call(self: Any, module: str, function: str, *args: Any, **kwargs: Any) -> Any:
        current = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
        calls.append([current, module, function])
        return original(self, module, function, *args, **kwargs)

    sandbox.Submission.call = call  # type: ignore[method-assign]
    try:
        yield
    finally:
        sandbox.Submission.call = original  # type: ignore[method-assign]


def claimed(claims: str | None, out: str) -> bool:
    """True when this process may grade the job whose result goes to ``out``."""
    if claims is None:
        return True
    try:
        fd = os.open(os.path.join(claims, os.path.basename(out)), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def main(jobs_file: str, claims: str | None) -> int:
    with open(jobs_file, encoding="utf-8") as fh:
        jobs = json.load(fh)
    failed = 0
    for job in jobs:
        if not claimed(claims, job["out"]):
            continue
        try:
            calls: list[list[str]] = []
            counts = dict(plan.PLAN.counts)
            with recording_calls(calls) if job.get("record_calls") else contextlib.nullcontext(), \
                    contextlib.nullcontext() if job.get("plan", True) else plan.disabled():
                result = grade(job["folder"], job.get("topics"), timeout=job.get("timeout", 10.0),
                               lang=job.get("lang", "en"), pictures=job.get("pictures", False),
                               function_budget=job.get("function_budget", FUNCTION_BUDGET_S),
                               functions=job.get("functions"), split=job.get("split", False))
            if job.get("record_calls"):
                with open(job["out"] + ".calls.json", "w", encoding="utf-8") as fh:
                    json.dump(calls, fh)
            with open(job["out"] + ".plan.json", "w", encoding="utf-8") as fh:  # gradkit/plan.py
                json.dump({k: plan.PLAN.counts[k] - counts[k] for k in counts}, fh)
            json_report.write(result, job["out"])  # whole, by a rename
        except Exception:  # said in a file the waiting tests read, and the next job graded
            failed += 1
            with open(job["out"] + ".error", "w", encoding="utf-8") as fh:
                fh.write(traceback.format_exc())
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
