"""`gradkit grade-batch`: a folder of submissions (one folder or zip per student) to
one results file per student, a CSV of grades and a per-function summary.

Submissions are graded by a few warm grader processes (``batch_workers``: torch
imported once per process, isolation set up per submission), or on a Dask cluster
(``dask_batch``); a submission that breaks anything breaks only its own row, and a
grading that crashes keeps its output in a log beside the results. A results file that
is already there is kept (resume) unless ``force``; Ctrl-C records none of the
submissions being graded, writes the CSV of what is done, and the same command resumes. Zips are unpacked with care: no paths outside the folder, no links,
and caps on size and file count.
"""

from __future__ import annotations

import csv
import json
import stat
import tempfile
import threading
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from . import catalog, review
from .inert import csv_cell
from .reporters import formats
from .results import GradeResult

if TYPE_CHECKING:
    from distributed import Security

    from .batch_workers import GraderProcess

    # ``done(student, outcome)``: told of each submission as it is recorded
    Done = Callable[[str, str], object]

MAX_UNPACKED_BYTES = 100 << 20
MAX_MEMBERS = 2000


class UnsafeZip(ValueError):
    pass


@dataclass
class FunctionSummary:
    topic: str
    function: str
    max_score: float
    scores: list[float] = field(default_factory=list)
    misconceptions: Counter[str] = field(default_factory=Counter)

    @property
    def pass_rate(self) -> float:
        return sum(s >= self.max_score for s in self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0


def submissions(folder: Path) -> dict[str, Path]:
    """Student id -> their folder or zip, in a stable order."""
    found = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found[entry.name] = entry
        elif entry.suffix == ".zip":
            found[entry.stem] = entry
    return found


def unpack(zip_path: Path, into: Path) -> Path:
    """Unpack a student's zip safely into ``into``."""
    total = 0
    with zipfile.ZipFile(zip_path) as zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise UnsafeZip(f"{zip_path.name} holds more than {MAX_MEMBERS} files")
        for info in members:
            parts = Path(info.filename).parts
            if info.filename.startswith("/") or ".." in parts:
                raise UnsafeZip(f"{zip_path.name} names a path outside itself: {info.filename}")
            if stat.S_ISLNK(info.external_attr >> 16):
                continue  # links are never followed nor made
            total += info.file_size
            if total > MAX_UNPACKED_BYTES:
                raise UnsafeZip(f"{zip_path.name} unpacks to more than {MAX_UNPACKED_BYTES >> 20} MB")
            zf.extract(info, into)
    return into


def grade_one(student: str, source: Path, out: Path, grader: GraderProcess, options: dict[str, Any],
              force: bool = False, stopping: threading.Event | None = None) -> str | None:
    """Grade one submission into ``out`` on the warm ``grader`` (a
    ``batch_workers.GraderProcess``); returns "graded", "kept" or "failed", or None when
    the batch was interrupted while this one was being graded (nothing is recorded).
    A grading that breaks keeps its output in ``<student>.log`` beside the results."""
    # The grader process runs in the kit's folder: every path it is given is absolute.
    source, out = source.resolve(), out.resolve()
    if out.exists() and not force and _valid(out):
        return "kept"
    log = out.with_suffix(".log")
    with tempfile.TemporaryDirectory(prefix="gradkit-batch-") as tmp:
        try:
            folder = unpack(source, Path(tmp) / student) if source.suffix == ".zip" else source
        except (UnsafeZip, zipfile.BadZipFile, OSError) as exc:
            record_failure(out, log, str(exc), str(source))
            return "failed"
        outcome = grader.grade(str(folder), str(out), str(log),
                               {**options, "submission": str(source)})
    if stopping is not None and stopping.is_set():
        _forget(out, log, keep_result=outcome in ("graded", "failed"), keep_log=outcome == "failed")
        return None if outcome == "crashed" else outcome
    if outcome == "crashed" or not _valid(out):  # the grader itself died: the row says why
        record_failure(out, log, "the grader stopped before writing a result", str(source))
        return "failed"
    if outcome == "failed":
        keep_log(log, "the grading could not run (see the results file's notes)")
    return outcome


def record_failure(out: Path, log: Path, reason: str, source: str) -> None:
    """A submission that could not be graded: a results file that says why, and a log."""
    formats.write_failure("json", reason, str(out), source)
    keep_log(log, reason)


def keep_log(log: Path, reason: str) -> None:
    """Every failed grading keeps a log: the grading's own output where it wrote one,
    with ``reason`` added at its end."""
    try:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"\ngradkit: {reason}\n")
    except OSError:
        pass


def _forget(out: Path, log: Path, keep_result: bool, keep_log: bool = False) -> None:
    """An interrupted grading leaves nothing behind (a finished one keeps its result)."""
    for path in ([] if keep_result else [out]) + ([] if keep_log else [log]) + [
            Path(str(out) + ".tmp")]:
        try:
            path.unlink()
        except OSError:
            pass


def _valid(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


@dataclass
class BatchReport:
    """What a batch did: every recorded result, how each was obtained, and whether it
    was interrupted (then ``pending`` lists the students still to grade)."""
    results: dict[str, GradeResult]
    outcomes: dict[str, str]
    interrupted: bool = False
    pending: list[str] = field(default_factory=list)

    @property
    def ungraded(self) -> list[str]:
        return [s for s, r in self.results.items() if not r.functions]


def run(folder: Path, csv_path: Path, out_dir: Path, jobs: int = 2, force: bool = False,
        options: dict[str, Any] | None = None, on_done: Done | None = None,
        scheduler: str | None = None, security: Security | None = None) -> BatchReport:
    """Grade every submission in ``folder`` on ``jobs`` warm grader processes (or on the
    Dask cluster at ``scheduler``, connecting with ``security``: a distributed
    ``Security``, see ``cluster_tls``); write the CSV and ``out_dir/summary.json``.

    On Ctrl-C (KeyboardInterrupt), the submissions being graded are dropped, not
    recorded; the CSV and summary of what is done are written, and the report says
    ``interrupted``: running the same command again grades the rest.
    """
    # Relative paths mean the caller's folder, wherever the graders run.
    folder, csv_path, out_dir = folder.resolve(), csv_path.resolve(), out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    options = dict(options or {})
    todo = submissions(folder)
    outcomes: dict[str, str] = {}
    interrupted = False

    def done(student: str, outcome: str) -> None:
        outcomes[student] = outcome
        if on_done:
            on_done(student, outcome)

    try:
        if scheduler:
            from . import dask_batch
            dask_batch.grade_all(scheduler, todo, out_dir, options, force, done, security)
        else:
            _grade_locally(todo, out_dir, options, force, jobs, done)
    except KeyboardInterrupt:
        interrupted = True
        for student in todo:  # in flight when interrupted: nothing of theirs is kept
            if outcomes.get(student) is None:
                _forget(out_dir / f"{student}.json", out_dir / f"{student}.log", keep_result=True)
    results = {s: GradeResult.from_dict(json.loads((out_dir / f"{s}.json").read_text()))
               for s in todo if _valid(out_dir / f"{s}.json")}
    topics = options.get("topics") or None
    write_csv(results, csv_path, topics)
    summary = summarise(results, topics)
    (out_dir / "summary.json").write_text(json.dumps(
        [{"topic": f.topic, "function": f.function, "pass_rate": round(f.pass_rate, 4),
          "mean": round(f.mean, 4), "max_score": f.max_score,
          "misconceptions": f.misconceptions.most_common(5),
          # for instructors: students whose run or source was flagged for this function
          "review": sorted(s for s, r in results.items() if review.touches(r, f.topic, f.function))}
         for f in summary], indent=1))
    return BatchReport(results, outcomes, interrupted, [s for s in todo if s not in results])


def _grade_locally(todo: dict[str, Path], out_dir: Path, options: dict[str, Any], force: bool,
                   jobs: int, done: Done) -> None:
    """``jobs`` threads, each feeding one warm grader process from a shared queue."""
    from .batch_workers import GraderProcess

    queue: list[tuple[str, Path]] = list(todo.items())
    lock = threading.Lock()
    stopping = threading.Event()
    graders = [GraderProcess() for _ in range(max(1, min(jobs, len(queue) or 1)))]

    def feed(grader: GraderProcess) -> None:
        try:
            while not stopping.is_set():
                with lock:
                    if not queue:
                        return
                    student, source = queue.pop(0)
                outcome = grade_one(student, source, out_dir / f"{student}.json", grader,
                                    options, force, stopping)
                if outcome is not None and not stopping.is_set():
                    done(student, outcome)
        finally:
            grader.stop()

    threads = [threading.Thread(target=feed, args=(g,), daemon=True) for g in graders]
    for thread in threads:
        thread.start()
    try:
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(0.2)
    except KeyboardInterrupt:
        stopping.set()
        for grader in graders:
            grader.stop()  # the in-flight gradings end here; nothing of them is recorded
        for thread in threads:
            thread.join(10)
        raise


def full_max(topics: Iterable[str] | None = None) -> float:
    """The points of every function of ``topics`` (default: all): an ungraded row's max."""
    names = set(topics or catalog.TOPIC_NAMES)
    return round(sum(fn.points for fn in catalog.all_functions() if fn.topic in names), 2)


def write_csv(results: dict[str, GradeResult], path: Path, topics: Iterable[str] | None = None) -> None:
    """One row per student. A submission that could not be graded scores 0 out of the
    full max (the points of every graded function), never 0 / 0."""
    graded = {(f.topic, f.function) for r in results.values() for f in r.functions}
    names = set(topics or catalog.TOPIC_NAMES)
    functions = [f"{fn.topic}.{fn.name}" for fn in catalog.all_functions()
                 if (fn.topic, fn.name) in graded or (fn.topic in names and not graded)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "score", "max_score", *functions, "notes", "review",
                         "misconceptions"])
        for student, result in results.items():
            # Folder names, notes and flags are student-controlled: text, never a formula.
            tail = [csv_cell(" | ".join(result.notes)), csv_cell(review.column(result)),
                    csv_cell(misconceptions_cell(result))]
            if not result.functions:  # could not be graded
                writer.writerow([csv_cell(student), "0", f"{full_max(topics):g}",
                                 *("0" for _ in functions), *tail])
                continue
            scores = {f"{f.topic}.{f.function}": f.score for f in result.functions}
            writer.writerow([csv_cell(student), f"{result.score:g}", f"{result.max_score:g}",
                             *(f"{scores[f]:g}" if f in scores else "" for f in functions), *tail])


def misconceptions_cell(result: GradeResult) -> str:
    """``function: id`` for each named mistake the student's failing checks show, ``; ``-separated."""
    return "; ".join(dict.fromkeys(f"{fn.function}: {c.misconception}" for fn in result.functions
                                   for c in fn.failed if c.misconception))


def summarise(results: dict[str, GradeResult], topics: Iterable[str] | None = None) -> list[FunctionSummary]:
    """Per function: scores and misconceptions; an ungraded submission counts 0 everywhere."""
    table: dict[tuple[str, str], FunctionSummary] = {}
    names = set(topics or catalog.TOPIC_NAMES)
    for result in results.values():
        if not result.functions:
            for spec in catalog.all_functions():
                if spec.topic in names:
                    table.setdefault((spec.topic, spec.name), FunctionSummary(
                        spec.topic, spec.name, spec.points)).scores.append(0.0)
            continue
        for fn in result.functions:
            row = table.setdefault((fn.topic, fn.function),
                                   FunctionSummary(fn.topic, fn.function, fn.max_score))
            row.scores.append(fn.score)
            row.misconceptions.update({c.misconception for c in fn.failed if c.misconception})
    order = {(f.topic, f.name): i for i, f in enumerate(catalog.all_functions())}
    return sorted(table.values(), key=lambda f: order.get((f.topic, f.function), 0))
