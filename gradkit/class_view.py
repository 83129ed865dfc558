"""`gradkit class RESULTS_DIR --html OUT` (and `grade-batch --class-html OUT`): everything
an instructor takes from a graded batch, in one pass over the results files.

Each ``<student>.json`` is read once and dropped: it feeds the class aggregates
(``class_stats``), the gradebook rows (``gradebook``) and the student's feedback page
(``feedback_pages``). Then the class page is written (``class_page``), with the
near-identical pairs (``similarity``) when the submissions folder is given. The same
results layout comes from a local batch and from a Dask one, so both work alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import class_page, feedback_pages, gradebook, similarity
from .class_stats import ClassStats, read_results


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


def build(results: Path, out: Outputs, lang: str) -> Built:
    roster = gradebook.read_roster(out.roster)  # a bad roster fails before anything is written
    stats = ClassStats()
    rows: list[gradebook.Row] = []
    pages = 0
    for student, result in read_results(results):
        stats.add(student, result)
        rows.append(gradebook.Row(student, result.score, result.max_score))
        if out.feedback and result.functions:
            feedback_pages.write(student, result, results)
            pages += 1
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
