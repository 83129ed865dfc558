"""`gradkit grade-batch`: a folder of submissions (one folder or zip per student) to
one results file per student, a CSV of grades and a per-function summary.

Each submission is graded in its own process, so one that breaks anything breaks
only its own row; a results file that is already there is kept (resume) unless
``force``. Zips are unpacked with care: no paths outside the folder, no links,
and caps on size and file count.
"""

from __future__ import annotations

import csv
import json
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog
from .reporters import formats
from .results import GradeResult

MAX_UNPACKED_BYTES = 100 << 20
MAX_MEMBERS = 2000
PER_SUBMISSION_TIMEOUT_S = 30 * 60


class UnsafeZip(ValueError):
    pass


@dataclass
class FunctionSummary:
    topic: str
    function: str
    max_score: float
    scores: list[float] = field(default_factory=list)
    misconceptions: Counter = field(default_factory=Counter)

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


def grade_one(student: str, source: Path, out: Path, args: list[str], force: bool) -> str:
    """Grade one submission into ``out``; returns "graded", "kept" or "failed"."""
    if out.exists() and not force and _valid(out):
        return "kept"
    with tempfile.TemporaryDirectory(prefix="gradkit-batch-") as tmp:
        try:
            folder = unpack(source, Path(tmp) / student) if source.suffix == ".zip" else source
        except (UnsafeZip, zipfile.BadZipFile, OSError) as exc:
            formats.write_failure("json", str(exc), str(out), str(source))
            return "failed"
        command = [sys.executable, "-m", "gradkit", "grade", str(folder), "--format", "json",
                   "--reveal-hidden", "--out", str(out), *args]
        try:
            subprocess.run(command, capture_output=True, timeout=PER_SUBMISSION_TIMEOUT_S,
                           check=False)
        except subprocess.TimeoutExpired:
            pass
    if not _valid(out):  # the grader itself died: the row still says why
        formats.write_failure("json", "the grader stopped before writing a result", str(out),
                              str(source))
        return "failed"
    return "graded"


def _valid(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


def run(folder: Path, csv_path: Path, out_dir: Path, jobs: int = 2, force: bool = False,
        args: list[str] | None = None, on_done=None) -> dict[str, GradeResult]:
    """Grade every submission in ``folder``; write the CSV and ``out_dir/summary.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = submissions(folder)

    def work(item):
        student, source = item
        outcome = grade_one(student, source, out_dir / f"{student}.json", args or [], force)
        if on_done:
            on_done(student, outcome)
        return student, outcome

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        list(pool.map(work, todo.items()))
    results = {s: GradeResult.from_dict(json.loads((out_dir / f"{s}.json").read_text()))
               for s in todo}
    write_csv(results, csv_path)
    summary = summarise(results)
    (out_dir / "summary.json").write_text(json.dumps(
        [{"topic": f.topic, "function": f.function, "pass_rate": round(f.pass_rate, 4),
          "mean": round(f.mean, 4), "max_score": f.max_score,
          "misconceptions": f.misconceptions.most_common(5)} for f in summary], indent=1))
    return results


def write_csv(results: dict[str, GradeResult], path: Path) -> None:
    graded = {(f.topic, f.function) for r in results.values() for f in r.functions}
    functions = [f"{fn.topic}.{fn.name}" for fn in catalog.all_functions()
                 if (fn.topic, fn.name) in graded]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "score", "max_score", *functions, "notes"])
        for student, result in results.items():
            scores = {f"{f.topic}.{f.function}": f.score for f in result.functions}
            writer.writerow([student, f"{result.score:g}", f"{result.max_score:g}",
                             *(f"{scores[f]:g}" if f in scores else "" for f in functions),
                             " | ".join(result.notes)])


def summarise(results: dict[str, GradeResult]) -> list[FunctionSummary]:
    table: dict[tuple[str, str], FunctionSummary] = {}
    for result in results.values():
        for fn in result.functions:
            row = table.setdefault((fn.topic, fn.function),
                                   FunctionSummary(fn.topic, fn.function, fn.max_score))
            row.scores.append(fn.score)
            row.misconceptions.update({c.misconception for c in fn.failed if c.misconception})
    order = {(f.topic, f.name): i for i, f in enumerate(catalog.all_functions())}
    return sorted(table.values(), key=lambda f: order.get((f.topic, f.function), 0))
