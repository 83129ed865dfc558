"""`gradkit class RESULTS_DIR --html OUT` (and `grade-batch --class-html OUT`): everything
an instructor takes from a graded batch, in one pass over the results files.

Each ``<student>.json`` is read once and dropped: it feeds the class aggregates
(``class_stats``), the gradebook rows (``gradebook``) and the student's feedback page
(``feedback_pages``). Then the class page is written (``class_page``), with the
near-identical pairs (``similarity``) when the submissions folder is given. The same
results layout comes from a local batch and from a Dask one, so both work alike.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import class_page, feedback_pages, gradebook, similarity
from .class_stats import ClassStats, read_file, results_files, to_result


@dataclass
class Outputs:
    """Where the class view asked things to go (None: not wanted)."""
    html: Path | None = None
    feedback: bool = True  # <student>.html beside each results file
    canvas: Path | None = None
    moodle: Path | None = None
    roster: Path | None = None
    assignment: str = "gradkit"
    submissions: Path | None = None  # the folder grade-batch graded: source for similarity
    boilerplate: Path | None = None  # the code students start from (default: the kit's stubs)


@dataclass
class Built:
    stats: ClassStats
    pairs: list[similarity.Pair] | None
    written: list[Path] = field(default_factory=list)
    feedback_pages: int = 0


PARALLEL_FROM = 400  # results files; fewer are read in this process (a pool costs ~1 s)


def read_class(paths: list[Path], feedback: bool) -> tuple[ClassStats, list[gradebook.Row], int]:
    """Aggregates, gradebook rows and feedback pages written, for ``paths`` in order."""
    stats = ClassStats()
    rows: list[gradebook.Row] = []
    pages = 0
    for path in paths:
        data = read_file(path)
        # A feedback page needs the whole result; the aggregates only a light one.
        result = None if data is None else to_result(data) if feedback else stats.light(data)
        if result is None:
            continue
        stats.add(path.stem, result)
        rows.append(gradebook.Row(path.stem, result.score, result.max_score))
        if feedback and result.functions:
            feedback_pages.write(path.stem, result, path.parent)
            pages += 1
    return stats, rows, pages


def read_all(results: Path, feedback: bool, jobs: int) -> tuple[ClassStats, list[gradebook.Row], int]:
    """``read_class`` over every results file, split in ``jobs`` processes for a large class
    (reading a result is the model's work, in Python: one core reads about 150 a second)."""
    paths = results_files(results)
    if jobs <= 1 or len(paths) < PARALLEL_FROM:
        return read_class(paths, feedback)
    chunks = [paths[i * len(paths) // jobs:(i + 1) * len(paths) // jobs] for i in range(jobs)]
    # fork: the readers need no fresh interpreter (and spawn would re-run a caller's
    # unguarded __main__); by now grade-batch's grader threads and processes are done.
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = list(pool.map(read_class, chunks, [feedback] * jobs))
    stats, rows, pages = parts[0]
    for more_stats, more_rows, more_pages in parts[1:]:
        stats.merge(more_stats)
        rows += more_rows
        pages += more_pages
    return stats, rows, pages


def build(results: Path, out: Outputs, lang: str, jobs: int | None = None) -> Built:
    roster = gradebook.read_roster(out.roster)  # a bad roster fails before anything is written
    stats, rows, pages = read_all(results, out.feedback,
                                  jobs or min(4, len(os.sched_getaffinity(0))))
    topics = stats.graded_topics() or None
    pairs = None
    if out.submissions is not None:
        code = similarity.sources(out.submissions, topics)
        pairs = similarity.similar_pairs(
            code, similarity.stub_code(out.boilerplate, topics))
    built = Built(stats, pairs, feedback_pages=pages)
    if out.html is not None:
        built.written.append(class_page.write(stats, out.html, pairs, lang))
    if out.canvas is not None:
        gradebook.write_canvas(rows, out.canvas, out.assignment, roster)
        built.written.append(out.canvas)
    if out.moodle is not None:
        gradebook.write_moodle(rows, out.moodle, out.assignment, roster)
        built.written.append(out.moodle)
    return built
