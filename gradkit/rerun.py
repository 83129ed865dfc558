"""`gradkit check --watch`: a warm grader that re-grades what a save changed.

The grader stays up between gradings: torch, the checks and the fork server
(the zygote, made once per process by the runner) are all kept, and each grading
sets up only its own isolation. A save to ``<topic>.py`` re-grades, of that topic,
only the functions whose code changed (gradkit.function_changes: the whole topic when
its module-level code or anything it cannot follow changed) and merges them into the
last full report; a save to any other .py file (a helper module the topics may import)
re-grades every watched topic.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Mapping

from . import catalog, function_changes
from .results import GradeResult

# What to grade again: topic -> its functions to grade (None: the whole topic).
Plan = dict[str, "list[str] | None"]

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


def read_sources(folder: str, topics: list[str]) -> dict[str, str | None]:
    """Each topic module's source as saved now (None: missing or unreadable)."""
    sources: dict[str, str | None] = {}
    for topic in topics:
        try:
            with open(os.path.join(folder, f"{topic}.py"), encoding="utf-8") as fh:
                sources[topic] = fh.read()
        except (OSError, UnicodeDecodeError):
            sources[topic] = None
    return sources


def plan(topics: list[str], before: Mapping[str, str | None], after: Mapping[str, str | None],
         last: GradeResult | None) -> Plan:
    """For each of ``topics`` (whose files changed): the functions to grade again, or None
    for the whole topic. Conservative: the whole topic whenever the change cannot be read
    function by function, a source is missing, or the last result lacks the topic. Also
    graded again: a function the last result failed whose code moved to other lines (its
    message would name the old ones)."""
    planned: Plan = {}
    for topic in topics:
        names = [f.name for f in catalog.topic(topic).functions]
        old, new = before.get(topic), after.get(topic)
        shown = {f.function: f for f in (last.functions if last else []) if f.topic == topic}
        changed = None if old is None or new is None or set(shown) != set(names) else \
            function_changes.affected(old, new, names)
        if changed is None:
            planned[topic] = None
            continue
        assert old is not None and new is not None  # (changed is None otherwise)
        moved = {f for f in function_changes.moved(old, new, names) if shown[f].failed}
        planned[topic] = [n for n in names if n in changed or n in moved]
    return planned


def regraded_functions(planned: Plan) -> list[tuple[str, str]]:
    """The (topic, function) pairs a plan grades, in catalog order."""
    return [(t, f.name) for t, fns in planned.items() for f in catalog.topic(t).functions
            if fns is None or f.name in fns]


def describe(planned: Plan) -> str:
    """What a plan grades again, for the student: a topic's name when it is graded whole,
    else ``topic.function`` for each."""
    parts = [topic if fns is None else ", ".join(f"{topic}.{n}" for n in fns)
             for topic, fns in planned.items() if fns is None or fns]
    return ", ".join(parts)


def merge(previous: GradeResult | None, fresh: GradeResult,
          regraded: list[tuple[str, str]]) -> GradeResult:
    """``previous`` with the ``regraded`` functions replaced by ``fresh``'s, in catalog
    order: whole again (``fresh`` alone may be a partial grading)."""
    if previous is None:
        return fresh
    replaced = set(regraded)
    kept = [f for f in previous.functions if (f.topic, f.function) not in replaced]
    order = {(f.topic, f.name): i for i, f in enumerate(catalog.all_functions())}
    functions = sorted(kept + list(fresh.functions),
                       key=lambda f: order.get((f.topic, f.function), 0))
    notes = sorted({c.message for f in functions for c in f.checks if c.skipped})
    environment = {**previous.environment, **fresh.environment,
                   "topics": [t for t in catalog.TOPIC_NAMES
                              if t in {f.topic for f in functions}]}
    environment.pop("partial", None)  # the functions left out are the previous grading's
    return GradeResult(submission=fresh.submission, functions=functions, notes=notes,
                       environment=environment, execution_time_s=fresh.execution_time_s,
                       language=fresh.language)


def watch(folder: str, grade_once: Callable[[Plan | None], bool | None],
          announce: Callable[[list[str]], object], rounds: int | None = None,
          topics: list[str] | None = None,
          last: Callable[[], GradeResult | None] = lambda: None) -> None:
    """Call ``grade_once(None)`` now, then ``grade_once(plan)`` after every change under
    ``folder`` (what to grade again: see ``plan``; False back: it could not grade), until
    Ctrl-C (or ``rounds`` gradings, for tests); ``announce(files)`` says why. ``topics``: the topics watched (default:
    all); ``last``: the last full result (which functions failed, which were graded)."""
    watched = list(topics or catalog.TOPIC_NAMES)
    done = 0
    stamps = snapshot(folder)
    sources = read_sources(folder, watched)
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
                saved = read_sources(folder, watched)
                helper_changed = any(os.path.splitext(os.path.basename(f))[0]
                                     not in catalog.TOPIC_NAMES for f in files)
                planned: Plan = {t: None for t in affected} if helper_changed else \
                    plan(affected, sources, saved, last())
                announce(files)
                if grade_once(planned) is not False:  # a failed grading: compare with older
                    sources = saved
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
