"""One grading on two cores: a second grader process takes some of the topics.

Within one grading the grader and the student's worker take turns (the grader draws an
example and computes torch's answer, then waits while the worker runs the student's
call), so a single grading keeps about one core busy. Where the machine has a second
core, ``runner.grade(split=True)`` starts a second grader (a fresh ``python -m
gradkit.split_grading``, never a fork of this process, which may already have run torch
work) on the topics chosen below, grades the rest here meanwhile, and merges the two
results. The command line starts it (``start``) before it imports torch itself: started
after, the second grader's own start-up (about 1.5 s) was all on the critical path. Each
grader claims a core of its own (gradkit/cores.py). Each grader has its own sandbox, worker and pytest session; a topic's checks run
in one of them, in their usual order with their fixed seeds, so the verdicts and
counterexamples are the ones a single grader gives (tests/test_split_grading.py).

Only whole gradings of several topics are split, and only by the command line's
``grade`` and ``check`` (batch workers and the kit's tests already keep every core busy).
The run's call budget bounds each grader's calls: they run side by side, so the time a
run can take is unchanged.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import catalog, cores, i18n, review
from .results import GradeResult, skip_notes
from .untrusted.engine_probe import RULES_KERNEL

KIT_DIR = Path(__file__).resolve().parent.parent

# The relative cost of grading each topic's checks (engine: about three times another
# topic; measured with solutions/), and of starting the second grader (importing torch,
# pytest and the checks).
TOPIC_WEIGHT = {"engine": 3.0}
START_WEIGHT = 1.8
MIN_GAIN = 1.0  # a split must save about a topic's time, or two graders just contend
STUB_SHARE = 0.1  # a topic still all stubs: "not implemented yet" at once


def spare_cores(cpu_max: str = "/sys/fs/cgroup/cpu.max") -> int:
    """Cores beyond one this process may use: its CPU affinity, capped by its cgroup's CPU
    quota (a container given half a CPU, as Gradescope's are, sees every host core)."""
    return max(0, cores.usable(cpu_max) - 1)


SPLIT_MEMORY_MB = 1536  # two graders peak at about 670 MB (PSS), one at about 460 MB


def memory_allows(memory_max: str = "/sys/fs/cgroup/memory.max") -> bool:
    """Whether the cgroup's memory limit (a container's) leaves room for a second grader:
    under ``SPLIT_MEMORY_MB`` one grader stays alone rather than risk the limit."""
    try:
        limit = Path(memory_max).read_text().strip()
    except OSError:
        return True
    return limit == "max" or not limit.isdigit() or int(limit) >= SPLIT_MEMORY_MB * 2**20


def second_half(folder: str, topics: list[str]) -> list[str] | None:
    """The topics the second grader takes (a deterministic choice, in catalog order), or
    None where splitting would not be clearly faster: the heaviest side is the shortest."""
    weight = {t: TOPIC_WEIGHT.get(t, 1.0) * (STUB_SHARE if _unwritten(folder, t) else 1.0)
              for t in topics}
    total = sum(weight.values())
    best, best_cost = None, total - MIN_GAIN
    for size in range(1, len(topics)):
        for chosen in itertools.combinations(topics, size):
            theirs = sum(weight[t] for t in chosen)
            cost = max(total - theirs, theirs + START_WEIGHT)
            if cost < best_cost - 1e-9:
                best, best_cost = list(chosen), cost
    return best


def _unwritten(folder: str, topic: str) -> bool:
    """Whether the submission's module for ``topic`` is still all stubs (every function
    only raises) or cannot be read: its checks fail at once, so it weighs next to nothing.
    Read as text, never run (this is the grader)."""
    source = review.read_source(os.path.join(folder, f"{topic}.py"))
    tree = review.parse(source) if source is not None else None
    if tree is None:
        return True
    wanted = {fn.name for fn in catalog.topic(topic).functions}
    bodies = [node.body for node in ast.walk(tree)
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in wanted]
    return all(isinstance(body[-1], ast.Raise) and all(
        isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body[:-1])
        for body in bodies)


class SecondGrader:
    """A second grader, started on ``theirs`` at once (the command line starts it before
    importing torch itself, so neither waits for the other's start); ``result()`` is its
    half. Each grader claims a core of its own (gradkit/cores.py)."""

    def __init__(self, folder: str, topics: list[str], theirs: list[str],
                 options: dict[str, Any]) -> None:
        self.topics, self.theirs = topics, theirs
        self.ours = [t for t in topics if t not in theirs]
        self._scratch = tempfile.TemporaryDirectory(prefix="gradkit-split-")
        scratch = Path(self._scratch.name)
        self._out, self._log = scratch / "result.json", scratch / "log"
        request = scratch / "request.json"
        request.write_text(json.dumps({"folder": os.path.abspath(folder), "topics": theirs,
                                       "out": str(self._out),
                                       "lang": i18n.language(), "options": options}))
        with open(self._log, "wb") as sink:
            # in the kit's folder: `-m` puts the working folder first on the import path, and
            # a grading started in a student's repository must not import its json.py
            self._process = subprocess.Popen(second_command(request), stdin=subprocess.DEVNULL,
                                             stdout=sink, stderr=sink, cwd=KIT_DIR)

    def result(self) -> GradeResult:
        """The second grader's result, once it has finished (GradingError if it failed)."""
        from .runner import GradingError

        try:
            self._process.wait()
            if self._process.returncode != 0 or not self._out.is_file():
                last = (self._log.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
                raise GradingError(i18n.text("run.second_grader_failed", detail=last[-300:]))
            return GradeResult.from_dict(json.loads(self._out.read_text(encoding="utf-8")))
        finally:
            self.close()

    def close(self) -> None:
        """Stop it if it still runs (this grading ended another way) and remove its files."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._scratch.cleanup()


def start(folder: str, topics: list[str] | None, options: dict[str, Any]) -> SecondGrader | None:
    """A second grader on some of ``topics`` (None: all), started now, where this machine
    has a spare core, the memory for it and a split that pays; else None. Nothing is
    started for topics that are not the catalog's or a folder that is not one: the
    grading then says what is wrong, alone."""
    chosen = list(dict.fromkeys(topics or catalog.TOPIC_NAMES))
    if not os.path.isdir(folder) or any(t not in catalog.TOPIC_NAMES for t in chosen):
        return None
    if not (spare_cores() and memory_allows()):
        return None
    try:
        theirs = second_half(folder, chosen)
        return SecondGrader(folder, chosen, theirs, options) if theirs else None
    except Exception:  # no second grader is no loss: one grader grades it all
        return None


def grade_in_two(folder: str, second: SecondGrader, options: dict[str, Any]) -> GradeResult:
    """Grade ``second.ours`` here while the second grader grades its topics; one result."""
    from .runner import grade

    try:
        mine = grade(folder, second.ours, **options)
    except BaseException:
        second.close()
        raise
    return merge(second.topics, mine, second.result())


def second_command(request: Path) -> list[str]:
    return [sys.executable, "-m", "gradkit.split_grading", str(request)]


def merge(topics: list[str], first: GradeResult, second: GradeResult) -> GradeResult:
    """The two halves as the one result a single grader would give."""
    order = {t: i for i, t in enumerate(topics)}
    functions = sorted(first.functions + second.functions, key=lambda f: order[f.topic])
    # which topics the second grader took: a fact about this run, for instructors
    environment = dict(first.environment, topics=topics,
                       split={"second_grader": list(second.environment.get("topics", []))})
    a, b = first.environment.get("isolation"), second.environment.get("isolation")
    if a and b and a.get("rules") != b.get("rules"):  # the weaker observation of the two
        environment["isolation"] = b if a.get("rules") == RULES_KERNEL else a
    return GradeResult(
        submission=first.submission,
        functions=functions,
        notes=skip_notes(functions),
        environment=environment,
        execution_time_s=max(first.execution_time_s, second.execution_time_s),
        language=first.language,
        flags=first.flags + second.flags,
        review=first.review,
    )


def _main(request_path: str) -> int:  # pragma: no cover - the second grader's process
    from .runner import grade

    try:  # the first grader killed (a Ctrl-C, an LMS's timeout): this one goes too
        from .untrusted import isolation
        isolation.prctl(isolation.PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):
        pass

    request = json.loads(Path(request_path).read_text())
    result = grade(request["folder"], request["topics"], lang=request["lang"],
                   **request["options"])
    Path(request["out"]).write_text(json.dumps(result.to_dict(), ensure_ascii=False),
                                    encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
