"""Helpers for the kit's own tests: build submissions, grade many at once."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from filelock import FileLock

from gradkit.untrusted import isolation
from gradkit.results import GradeResult

KIT = Path(__file__).resolve().parent.parent
SOLUTIONS = KIT / "solutions"


def pristine_exercises() -> Path:
    """The exercise stubs as the kit ships them, never the student's filled-in copy:
    ``exercises/`` from git's HEAD, written to a temporary folder (removed at exit).
    Without git (a student bundle), the working copy, as unpacked."""
    import atexit
    import tempfile

    working = KIT / "exercises"
    try:
        listed = subprocess.run(["git", "-C", str(KIT), "ls-files", "--", "exercises"],
                                capture_output=True, text=True, check=True, timeout=30)
        names = [n for n in listed.stdout.splitlines() if n.endswith(".py")]
        if not names:
            return working
        folder = Path(tempfile.mkdtemp(prefix="gradkit-stubs-"))
        atexit.register(shutil.rmtree, folder, True)
        folder.chmod(0o755)  # a sandboxed worker may read it under a uid of its own
        for name in names:
            shown = subprocess.run(["git", "-C", str(KIT), "show", f"HEAD:{name}"],
                                   capture_output=True, check=True, timeout=30)
            target = folder / Path(name).relative_to("exercises")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(shown.stdout)
            target.chmod(0o644)
        return folder
    except (OSError, subprocess.SubprocessError, ValueError):
        return working


EXERCISES = pristine_exercises()
MUTANTS = KIT / "tests" / "mutants"
SUBMISSIONS = KIT / "tests" / "submissions"
# Submissions written by helpers who saw only the curriculum (never the checks): correct ones
# whole, and one-mistake ones as the one module they change (manifest.json says what).
HELDOUT = SUBMISSIONS / "heldout"


def heldout_manifest() -> list[dict]:
    """{"set", "folder", "topic", "function" (None: a correct submission), "mistake",
    "names": the misconception ids that describe the mistake rightly}."""
    return json.loads((HELDOUT / "manifest.json").read_text(encoding="utf-8"))


def heldout_job(entry: dict) -> str:
    return f"heldout/{entry['set']}/{entry['folder']}"

# Grading isolates student code at the best level the machine allows (namespaces, a uid
# of its own, or none: gradkit/untrusted/isolation.py). None of them needs anything to be
# readable by other users, so the suite never turns the sandbox off; this is only the
# reason a level cannot be had here (then the tests that need it skip saying why).
try:
    ISOLATION = isolation.level()
    SANDBOX_UNREADY = None
except isolation.IsolationError as exc:
    ISOLATION, SANDBOX_UNREADY = "none", str(exc)


class Mutant:
    """A wrong answer: one topic's function rewritten the way students get it wrong."""

    def __init__(self, path: Path):
        self.path = path
        self.topic = path.parent.name
        self.name = f"{self.topic}/{path.stem}"
        self.source = path.read_text(encoding="utf-8")
        consts = {}
        for node in ast.parse(self.source).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                consts[node.targets[0].id] = node.value.value
        self.breaks = consts.get("BREAKS")
        self.misconception = consts.get("MISCONCEPTION")

    def build(self, folder: Path) -> Path:
        return overlay(folder, {self.topic: self.source})

    def graded_functions(self) -> list[str] | None:
        """The functions of its topic this mutant's source can change (the one it breaks,
        and any other that reaches a definition it replaces), as `check --watch` reads a
        save; None: its topic's whole (gradkit.function_changes could not tell)."""
        from gradkit import catalog
        from gradkit.function_changes import affected

        before = (SOLUTIONS / f"{self.topic}.py").read_text(encoding="utf-8")
        after = overlaid_source(before, self.source)
        return affected(before, after, [f.name for f in catalog.topic(self.topic).functions])


def cli_env(lang: str = "en", **extra) -> dict:
    """The environment for running `python -m gradkit` from the tests: this kit, in
    ``lang`` whatever the machine's locale."""
    return {**os.environ, "GRADKIT_LANG": lang, "PYTHONPATH": str(KIT), **extra}


def overlay(folder: Path, overrides: dict[str, str], replace=()) -> Path:
    """A submission: every reference solution, with ``overrides[topic]`` appended to
    that topic's module (a later definition wins); topics in ``replace`` are
    replaced by the override source whole."""
    folder.mkdir(parents=True)
    for src in SOLUTIONS.glob("*.py"):
        shutil.copy(src, folder / src.name)
    for topic, source in overrides.items():
        module = folder / f"{topic}.py"
        base = module.read_text(encoding="utf-8")
        module.write_text(source if topic in replace else overlaid_source(base, source),
                          encoding="utf-8")
    return folder


def overlaid_source(base: str, override: str) -> str:
    """A module with ``override`` appended (its definitions win)."""
    return base + "\n\n# --- override ---\n" + override


def build_hostile(folder: Path) -> Path:
    hostile = SUBMISSIONS / "hostile"
    return overlay(folder, {t: (hostile / f"{t}.py").read_text(encoding="utf-8")
                            for t in ("manual_grad", "gd_loop")}, replace=("manual_grad",))


# A submission with a bit of everything: wrong answers in every topic, one function
# not written yet, the rest right (tests of the reports use it).
MIXED = ["graph_leaves/names_depth_first", "graph_leaves/intermediate_no_retain_grad",
         "retain_graph/losses_not_zeroed", "grad_accumulation/without_zeroing_aliased",
         "detach/round_plain", "detach/frozen_fills_W1_grad", "manual_grad/linear_dropped_factor2",
         "gd_loop/gd_loss_after_update"]
NOT_WRITTEN = ("manual_grad", "sigmoid_neuron_grad")


def build_mixed(folder: Path) -> Path:
    sources: dict[str, str] = {}
    for name in MIXED:
        topic = name.split("/")[0]
        sources[topic] = sources.get(topic, "") + "\n" + (MUTANTS / f"{name}.py").read_text()
    topic, fn = NOT_WRITTEN
    sources[topic] += (f"\n\ndef {fn}(*args):\n"
                       f"    raise NotImplementedError('{fn} is not implemented yet')\n")
    return overlay(folder, sources)


def all_mutants() -> list[Mutant]:
    return [Mutant(p) for p in sorted(MUTANTS.glob("*/*.py"))]


def whole_topic_sample(mutants: list[Mutant]) -> list[Mutant]:
    """One mutant per topic (its first by name that is graded on a selection, not on its
    whole topic anyway), graded on its whole topic as well: the sample that shows, by
    grading, that a mutant costs nothing outside what it changes."""
    first: dict[str, Mutant] = {}
    for mutant in mutants:
        if mutant.topic not in first and mutant.graded_functions() is not None:
            first[mutant.topic] = mutant
    return list(first.values())


def grade_many(jobs: list[dict], workdir: Path, processes: int = 2) -> dict[str, GradeResult]:
    """Grade jobs ({"name", "folder", "topics", "timeout", "lang", "pictures"}) in
    ``processes`` processes that take them one at a time (put the heavy ones first).

    Several pytest processes (xdist's workers) may call this with the same jobs and
    ``workdir``: they share the work (tests/grade_jobs.py claims each job once) and each
    returns every result, waiting for the ones another process is grading."""
    for job in jobs:
        job["out"] = str(workdir / f"result-{job['name'].replace('/', '-')}.json")
    spec, claims = workdir / "jobs.json", workdir / "claims"
    with FileLock(str(workdir / "jobs.lock")):
        if not spec.exists():
            claims.mkdir()
            spec.write_text(json.dumps(jobs))
        elif json.loads(spec.read_text()) != jobs:
            raise ValueError(f"{workdir} already holds other jobs")
    graders = [subprocess.Popen([sys.executable, str(KIT / "tests" / "grade_jobs.py"), str(spec),
                                 str(claims)], env={**os.environ, "PYTHONUNBUFFERED": "1"})
               for _ in range(processes)]
    for grader in graders:
        grader.wait()
    _wait_for_results(jobs, claims)
    return {job["name"]: GradeResult.from_dict(json.loads(Path(job["out"]).read_text()))
            for job in jobs}


def _wait_for_results(jobs: list[dict], claims: Path, patience_s: float = 3600.0) -> None:
    """Until every job's result is there: raises at once when a grading failed or the
    process that claimed a job is gone without its result."""
    deadline = time.monotonic() + patience_s
    while True:
        missing = [job for job in jobs if not Path(job["out"]).exists()]
        if not missing:
            return
        for job in missing:
            error = Path(job["out"] + ".error")
            if error.exists():
                raise RuntimeError(f"grading {job['name']} failed:\n{error.read_text()}")
            claim = claims / Path(job["out"]).name
            claimer = claim.read_text() if claim.exists() else "nobody"
            if claimer and not (claimer.isdigit() and _alive(int(claimer))):  # "": just claimed
                raise RuntimeError(f"grading {job['name']}: its grader ({claimer}) is gone "
                                   "without a result")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(missing)} gradings still missing, e.g. {missing[0]['name']}")
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: there
        return True
    return True


def failed_checks(result: GradeResult, function: str | None = None) -> list:
    return [c for f in result.functions if function in (None, f.function) for c in f.failed]


def grade_in_one_fresh_process(folders: list, topics: list[str], lang: str = "en",
                               pictures: bool = False) -> list[GradeResult]:
    """Grade ``folders`` one after the other in one new process, as `--watch` and a batch worker
    do (the zygote made once, reused): this test process has run torch and other gradings."""
    script = ("import json, sys\nfrom gradkit.runner import grade\n"
              "folders, topics, lang, pictures = json.loads(sys.argv[1])\n"
              "print(json.dumps([grade(f, topics, lang=lang, pictures=pictures).to_dict()"
              " for f in folders]))\n")
    done = subprocess.run([sys.executable, "-c", script, json.dumps([[str(f) for f in folders],
                                                                      topics, lang, pictures])],
                          capture_output=True, text=True, env=cli_env(lang), timeout=600, check=True)
    return [GradeResult.from_dict(d) for d in json.loads(done.stdout.strip().splitlines()[-1])]


def comparable(result: GradeResult) -> str:
    """A result as text, less what differs between two gradings of the same submission:
    timings, the split's note, and the addresses torchviz names graph nodes by."""
    data = result.to_dict()
    data.pop("execution_time")
    data["environment"].pop("split", None)
    for fn in data["functions"]:
        for check in fn["checks"]:
            check.pop("duration")
    return re.sub(r"(?<!\d)\d{9,}(?!\d)", "N", json.dumps(data, sort_keys=True))


def started_submission(folder, scratch: str, **options):
    """A Submission on a run started the way the runner starts one: a supervisor that goes
    away before saying it is ready (now and then on a busy machine, before any student code
    exists) is started again (``runner._start_run``); the run is closed with the submission."""
    from gradkit import runner
    from gradkit.untrusted.sandbox import Submission, zygote

    factory = zygote()
    run = runner._start_run(str(folder), scratch, factory)
    submission = Submission(str(folder), factory, scratch, run=run, **options)
    submission.own_run = True
    return submission

