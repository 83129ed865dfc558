"""`gradkit check --watch`: a warm grader that re-grades what a save changed.

The grader stays up between gradings: torch, the checks and the fork server
(the zygote, made once per process by the runner) are all kept, and each grading
sets up only its own isolation. A save to ``<topic>.py`` re-grades that topic
alone and merges it into the last full report; a save to any other .py file
(a helper module the topics may import) re-grades every watched topic.
"""

from __future__ import annotations

import os
import time
from typing import Callable

from . import catalog
from .results import GradeResult

POLL_S = 0.1


def snapshot(folder: str) -> dict[str, tuple[int, int]]:
    """The modification time (and size) of every .py file under ``folder``."""
    stamps = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                    stamps[path] = (st.st_mtime_ns, st.st_size)
                except OSError:
                    pass
    return stamps


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def topics_for(files: list[str], watched: list[str]) -> list[str]:
    """The watched topics a change to ``files`` can affect: ``<topic>.py`` is that topic's,
    any other Python file may be imported by any topic."""
    names = [os.path.splitext(os.path.basename(f))[0] for f in files]
    if all(name in catalog.TOPIC_NAMES for name in names):
        return [t for t in watched if t in names]
    return list(watched)


def merge(previous: GradeResult | None, fresh: GradeResult, topics: list[str]) -> GradeResult:
    """``previous`` with the functions of ``topics`` replaced by ``fresh``'s, in catalog order."""
    if previous is None:
        return fresh
    regraded = set(topics)
    kept = [f for f in previous.functions if f.topic not in regraded]
    order = {(f.topic, f.name): i for i, f in enumerate(catalog.all_functions())}
    functions = sorted(kept + list(fresh.functions),
                       key=lambda f: order.get((f.topic, f.function), 0))
    notes = sorted({c.message for f in functions for c in f.checks if c.skipped})
    environment = {**previous.environment, **fresh.environment,
                   "topics": [t for t in catalog.TOPIC_NAMES
                              if t in {f.topic for f in functions}]}
    return GradeResult(submission=fresh.submission, functions=functions, notes=notes,
                       environment=environment, execution_time_s=fresh.execution_time_s,
                       language=fresh.language)


def watch(folder: str, grade_once: Callable[[list[str] | None], object],
          announce: Callable[[list[str]], object], rounds: int | None = None,
          topics: list[str] | None = None) -> None:
    """Call ``grade_once(None)`` now, then ``grade_once(topics_changed)`` after every change
    under ``folder``, until Ctrl-C (or ``rounds`` gradings, for tests); ``announce(files)``
    says why. ``topics``: the topics watched (default: all)."""
    watched = list(topics or catalog.TOPIC_NAMES)
    done = 0
    stamps = snapshot(folder)
    grade_once(None)
    done += 1
    try:
        while rounds is None or done < rounds:
            time.sleep(POLL_S)
            now = snapshot(folder)
            files = changed(stamps, now)
            if files:
                stamps = now
                affected = topics_for(files, watched)
                if not affected:
                    continue
                announce(files)
                grade_once(affected)
                done += 1
    except KeyboardInterrupt:
        pass


def report(result: GradeResult, topics: list[str], target: str, html: str | None = None) -> None:
    """After a save: the full report of the re-graded ``topics`` only, one line for the
    topics that did not change, and the total of everything watched."""
    from dataclasses import replace

    from . import i18n
    from .reporters import terminal

    terminal.render(replace(result, functions=[f for f in result.functions if f.topic in topics]),
                    target=target, html=html)
    unchanged = []
    for topic in dict.fromkeys(f.topic for f in result.functions if f.topic not in topics):
        fns = [f for f in result.functions if f.topic == topic]
        unchanged.append(f"{topic} {sum(f.score for f in fns):g}/{sum(f.max_score for f in fns):g}")
    if unchanged:
        print(i18n.text("watch.unchanged", topics=", ".join(unchanged)))
    print(i18n.text("watch.all_topics", score=f"{result.score:g}", max=f"{result.max_score:g}"),
          flush=True)
