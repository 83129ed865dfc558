"""`make bench`'s class-view figures: the class page (with the gradebook CSVs and a
feedback page per student) built from 5,000 synthetic results files, its time and
its size; and the similarity search's cost per submission.

The synthetic class is drawn from the catalog (every function, a few checks each,
real misconception ids, flags on a few students) with a fixed seed, so every run
measures the same class. ``python -m gradkit.class_bench [N]`` runs these alone.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import catalog, i18n

STUDENTS = 5000
TARGET_S = 30.0
TARGET_PAGE_BYTES = 2 << 20
SIMILARITY_SAMPLE = 200  # submissions fingerprinted to time the similarity search
CHECKS_PER_FUNCTION = 6


def synthetic_result(rng: random.Random, student: str, mistakes: list[str]) -> dict[str, Any]:
    """One student's results file as grade-batch writes it (``GradeResult.to_dict``'s keys)."""
    skill = rng.random()
    functions = []
    for fn in catalog.all_functions():
        checks = []
        for i in range(CHECKS_PER_FUNCTION):
            passed = rng.random() < 0.35 + 0.6 * skill
            checks.append({
                "name": f"{fn.topic}::check_{i}[cpu]", "check": f"{fn.topic}::{fn.name}_check_{i}",
                "outcome": "passed" if passed else "failed", "passed": passed, "message": "",
                "weight": 1.0, "call": None if passed else f"{fn.name}(x=tensor([{rng.random():.3f}]))",
                "expected": None if passed else "tensor([0.5])", "got": None if passed else "tensor([1.0])",
                "misconception": None if passed or rng.random() < 0.4 else rng.choice(mistakes),
                "error_kind": None, "duration": 0.01, "hidden": False})
        functions.append({"topic": fn.topic, "function": fn.name, "max_score": fn.points,
                          "checks": checks})
    flagged = rng.random() < 0.02
    return {"submission": f"/courses/autograd/{student}", "language": rng.choice(i18n.LANGS),
            "functions": functions, "notes": [], "environment": {"isolation": {"level": "namespaces"}},
            "flags": [{"kind": "frames", "detail": "sys._getframe", "file": "engine.py", "line": 3}]
            if flagged else [], "review": []}


def write_class(folder: Path, n: int, seed: int = 23) -> None:
    rng = random.Random(seed)
    mistakes = sorted(i18n.misconceptions())
    for k in range(n):
        student = f"student{k:05d}"
        (folder / f"{student}.json").write_text(json.dumps(synthetic_result(rng, student, mistakes)))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the class view's readers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(results: Path, outputs: Any) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one class view build."""
    from . import class_view

    wall, cpu = time.perf_counter(), _cpu()
    class_view.build(results, outputs, "en")
    return time.perf_counter() - wall, _cpu() - cpu


def class_page_figures(n: int = STUDENTS) -> dict[str, float]:
    """Wall and CPU seconds of the page alone and of everything (page, CSVs, a feedback
    page per student), and the page's size in bytes."""
    from .class_view import Outputs

    work = Path(tempfile.mkdtemp(prefix="gradkit-class-bench-"))
    try:
        results = work / "results"
        results.mkdir()
        write_class(results, n)
        page = work / "class.html"
        page_wall, page_cpu = _timed(results, Outputs(html=page, feedback=False))
        all_wall, all_cpu = _timed(results, Outputs(html=page, canvas=work / "canvas.csv",
                                                    moodle=work / "moodle.csv"))
        return {"page_wall": page_wall, "page_cpu": page_cpu, "all_wall": all_wall,
                "all_cpu": all_cpu, "bytes": page.stat().st_size}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def similarity_per_submission(n: int = SIMILARITY_SAMPLE) -> tuple[float, float]:
    """Wall and CPU seconds per submission to fingerprint and pair ``n`` full submissions
    (the kit's solutions with their names renamed per student, so no two are byte-identical)."""
    from . import similarity

    solutions = Path(__file__).resolve().parent.parent / "solutions"
    base = similarity.read_source(solutions, similarity.modules(None))
    code = {f"s{k}": base.replace("def ", f"def _{k}_") for k in range(n)}
    start, cpu = time.perf_counter(), time.process_time()
    similarity.similar_pairs(code, similarity.stub_code())
    return (time.perf_counter() - start) / n, (time.process_time() - cpu) / n


def report(n: int = STUDENTS) -> None:
    from .bench import line, verdict

    got = class_page_figures(n)
    line(f"class page: {n} students", f"{got['page_wall']:.2f} s", f"< {TARGET_S:g} s",
         verdict(got["page_wall"], TARGET_S, " s", below=True)
         + f" ({got['page_cpu']:.1f} s of CPU, load average {os.getloadavg()[0]:.1f})")
    line("class page: size", f"{got['bytes'] / 1024:.0f} KB", f"< {TARGET_PAGE_BYTES >> 20} MB",
         verdict(got["bytes"], TARGET_PAGE_BYTES, " B", below=True))
    line("  with CSVs and feedback pages", f"{got['all_wall']:.2f} s", "(for reference)",
         f"{got['all_cpu']:.1f} s of CPU")
    per, cpu = similarity_per_submission()
    print(f"{'similar submissions: per submission':<40} {per:>16.3f} s   "
          f"({cpu:.3f} s of CPU; {SIMILARITY_SAMPLE} full submissions; {n} would take about "
          f"{cpu * n / 60:.0f} min of CPU)")


if __name__ == "__main__":
    report(int(sys.argv[1]) if len(sys.argv) > 1 else STUDENTS)
