"""gradkit's command line: check (students), grade (LMS and scripts), hint, list."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, Any, Sequence

from . import catalog, i18n
from .reporters.formats import FORMATS

if TYPE_CHECKING:
    from pathlib import Path

    from .results import GradeResult

EXIT_OK, EXIT_FAILED_CHECKS, EXIT_GRADING_ERROR = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "budget", None):  # read by runner.grade, here and in batch workers
        os.environ["GRADKIT_BUDGET"] = str(args.budget)
    if not args.command:
        parser.print_help()
        return EXIT_GRADING_ERROR
    try:
        i18n.set_language(i18n.detect(getattr(args, "lang", None)))
    except ValueError as exc:
        parser.error(str(exc))
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradkit", description="Autograd exercises, graded by property checks against torch.")
    sub = parser.add_subparsers(dest="command")
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=i18n.LANGS,
                      help="language of the feedback (default: $GRADKIT_LANG, else the locale)")

    check = sub.add_parser("check", parents=[lang], help="grade your exercises and explain what failed")
    check.add_argument("topics", nargs="*", metavar="TOPIC", help="topics to grade (default: all)")
    check.add_argument("--target", default="exercises", help="the folder to grade (default: exercises)")
    check.add_argument("--timeout", type=float, default=10.0, help="seconds per call (default: 10)")
    check.add_argument("--budget", type=float, metavar="SECONDS",
                       help="seconds of calls the whole run may use (default: 240)")
    check.add_argument("--html", metavar="DIR", help="also write an HTML report to DIR/index.html")
    check.add_argument("--function", action="append", metavar="NAME", dest="functions",
                       help="grade only this function (repeatable; its topic is read from it)")
    check.add_argument("--watch", action="store_true", help="grade again whenever a file changes")
    check.add_argument("--watch-rounds", type=int, help=argparse.SUPPRESS)  # for tests
    check.set_defaults(run=_check)

    grade = sub.add_parser("grade", parents=[lang], help="grade a submission folder into a results file")
    grade.add_argument("folder", help="the submission folder")
    grade.add_argument("--format", choices=FORMATS, default="json",
                       help="the results file's format (default: json)")
    grade.add_argument("--out", metavar="PATH", help="where to write the results file")
    grade.add_argument("--json", metavar="OUT", help="same as --format json --out OUT")
    grade.add_argument("--topics", nargs="*", metavar="TOPIC", help="topics to grade (default: all)")
    grade.add_argument("--timeout", type=float, default=10.0, help="seconds per call (default: 10)")
    grade.add_argument("--budget", type=float, metavar="SECONDS",
                       help="seconds of calls the whole run may use (default: 240)")
    grade.add_argument("--html", metavar="DIR", help="also write an HTML report to DIR/index.html")
    grade.add_argument("--reveal-hidden", action="store_true",
                       help="show hidden checks' details (for instructors, after publishing)")
    grade.set_defaults(run=_grade)

    batch = sub.add_parser("grade-batch", parents=[lang],
                           help="grade a folder of submissions (one folder or zip per student)")
    batch.add_argument("folder", help="the folder holding one submission per student")
    batch.add_argument("--csv", required=True, metavar="PATH", help="where to write the grades")
    batch.add_argument("--out-dir", metavar="DIR",
                       help="one results file per student (default: beside the CSV, results/)")
    batch.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                       help="submissions graded at once (default: half the CPUs)")
    batch.add_argument("--force", action="store_true", help="grade again those already graded")
    batch.add_argument("--topics", nargs="*", metavar="TOPIC", help="topics to grade (default: all)")
    batch.add_argument("--timeout", type=float, default=10.0, help="seconds per call (default: 10)")
    batch.add_argument("--budget", type=float, metavar="SECONDS",
                       help="seconds of calls the whole run may use (default: 240)")
    batch.add_argument("--scheduler", metavar="tls://HOST:8786",
                       help="grade on this Dask distributed cluster instead of on this machine "
                            "(needs the 'batch' extra: pip install 'gradkit[batch]'); tls:// "
                            "with --tls-*, plain tcp:// only on this machine or with --insecure")
    batch.add_argument("--tls-ca", metavar="PEM", help="the course CA (gradkit cluster-certs)")
    batch.add_argument("--tls-cert", metavar="PEM", help="this client's certificate")
    batch.add_argument("--tls-key", metavar="KEY", help="this client's private key")
    batch.add_argument("--insecure", action="store_true",
                       help="allow a plain tcp:// scheduler on another machine (open to anyone "
                            "who can reach its port)")
    batch.add_argument("--class-html", metavar="OUT",
                       help="then write the class view: this page, a feedback page per student "
                            "beside the results, and Canvas/Moodle CSVs beside the CSV")
    batch.add_argument("--roster", metavar="CSV",
                       help="with --class-html: folder name -> LMS ids (see gradkit class --help)")
    batch.set_defaults(run=_grade_batch)

    certs = sub.add_parser("cluster-certs",
                           help="make a CA and TLS certificates for a closed grading cluster")
    certs.add_argument("folder", help="where to write them (the CA is reused if there)")
    certs.add_argument("--name", action="append", metavar="NAME",
                       help="a certificate to make (repeatable; default: scheduler, worker, client)")
    certs.add_argument("--host", action="append", metavar="HOST", default=[],
                       help="a host name or IP to list in the certificates (repeatable)")
    certs.set_defaults(run=_cluster_certs)

    klass = sub.add_parser("class", parents=[lang],
                           help="the instructor's view of a graded batch: class page, gradebook "
                                "CSVs, feedback pages")
    klass.add_argument("results", metavar="RESULTS_DIR", help="the folder grade-batch wrote")
    klass.add_argument("--html", metavar="OUT", help="write the class page to OUT")
    klass.add_argument("--submissions", metavar="DIR",
                       help="the folder grade-batch graded: find near-identical submissions")
    klass.add_argument("--boilerplate", metavar="DIR",
                       help="the code students start from (default: the kit's exercises/)")
    klass.add_argument("--canvas", metavar="CSV", help="write a Canvas gradebook import CSV")
    klass.add_argument("--moodle", metavar="CSV", help="write a Moodle grade import CSV")
    klass.add_argument("--roster", metavar="CSV",
                       help="map folder names to LMS ids: a 'folder' column and any of name, "
                            "canvas_id, sis_user_id, sis_login_id, section, email")
    klass.add_argument("--assignment", default="gradkit",
                       help="the gradebook column's name (default: gradkit)")
    klass.add_argument("--no-feedback", action="store_true",
                       help="do not write <student>.html feedback pages beside the results")
    klass.set_defaults(run=_class)

    hint = sub.add_parser("hint", parents=[lang], help="show the next hint for a function")
    hint.add_argument("function", help="the function, e.g. linear_mse_grad")
    hint.add_argument("--reset", action="store_true", help="start again from the first hint")
    hint.set_defaults(run=_hint)

    lst = sub.add_parser("list", parents=[lang], help="topics, functions, points and your progress")
    lst.add_argument("--target", default="exercises",
                     help="the folder whose progress to show (default: exercises)")
    lst.set_defaults(run=_list)
    return parser


def _check(args: argparse.Namespace) -> int:
    from . import rerun

    if not args.watch:
        return _check_once(args)[0]
    # Warm: this process keeps torch, the checks and its zygote; a save to <topic>.py
    # grades again the functions it changed (rerun.plan) and merges them into the last report.
    state: dict[str, Any] = {"code": EXIT_OK, "result": None, "saved": None}

    def once(planned: rerun.Plan | None) -> bool:
        code, result = _check_once(args, planned, state["result"])
        state["code"] = code
        state["result"] = result or state["result"]
        what = rerun.describe(planned) if planned else ""
        if planned and not what:  # only comments or spacing changed
            print(i18n.text("watch.nothing_changed"), flush=True)
        elif what and result is not None and state["saved"] is not None:
            print(i18n.text("watch.regraded", topics=what,
                            seconds=f"{time.monotonic() - state['saved']:.2f}"), flush=True)
        return result is not None

    def announce(files: list[str]) -> None:
        # From the save itself (the newest file's modification time), not from noticing it.
        stamps = [os.stat(f).st_mtime for f in files if os.path.exists(f)]
        state["saved"] = time.monotonic() - max(0.0, time.time() - max(stamps, default=time.time()))
        print("\n" + i18n.text("watch.regrading", file=", ".join(
            os.path.relpath(f, args.target) for f in files)), flush=True)

    print(i18n.text("watch.waiting", target=args.target), flush=True)
    try:
        from .runner import resolve_topics
        watched = resolve_topics(args.topics)
    except Exception as exc:  # an unknown topic: said once, as without --watch
        print(f"gradkit: {exc}", file=sys.stderr)
        return EXIT_GRADING_ERROR
    rerun.watch(args.target, once, announce, rounds=args.watch_rounds, topics=watched,
                last=lambda: state["result"])
    return state["code"]


def _check_once(args: argparse.Namespace, planned: dict[str, list[str] | None] | None = None,
                previous: GradeResult | None = None) -> tuple[int, GradeResult | None]:
    """Grade (``planned``: only what it names, merged into ``previous``), report; (exit
    code, result)."""
    from . import progress, render, rerun
    from .reporters import html_report, terminal

    second = None if planned or _chosen(args)[1] else _second_grader(
        args.target, args.topics, {"timeout": args.timeout, "pictures": True})
    from .runner import GradingError, grade

    regraded = rerun.regraded_functions(planned) if planned else []
    if planned and not regraded and previous is not None:
        result = previous  # nothing to grade again (the watch says so)
    else:
        try:
            topics: list[str] | None
            functions: list[str] | None
            if planned:
                whole = all(fns is None for fns in planned.values())
                topics, functions = list(planned), None if whole else [
                    f"{t}.{n}" for t, n in regraded]
            else:
                topics, functions = _chosen(args)
            result = grade(args.target, topics, timeout=args.timeout, pictures=True,
                           functions=functions, split=second or False)
        except GradingError as exc:
            print(f"gradkit: {exc}", file=sys.stderr)
            return EXIT_GRADING_ERROR, None
    if planned and result is not previous:
        result = rerun.merge(previous, result, regraded)
    progress.save_scores(result, args.target)
    shown = result.public(i18n.text("hidden.failed"))
    page = html_report.write(shown, args.html) if args.html else None
    if planned:  # --watch after a save: only what changed, then one line for the rest
        rerun.report(shown, list(planned), target=args.target, html=page)
    else:
        terminal.render(shown, target=args.target, html=page)
    if not render.dot_available():
        print(i18n.text("report.no_dot"))
    code = EXIT_OK if shown.all_passed else EXIT_FAILED_CHECKS
    if code == EXIT_FAILED_CHECKS and not args.watch:  # so `make: *** Error 1` is no surprise
        print(i18n.text("check.exit_failed"))
    sys.stdout.flush()
    return code, result


def _chosen(args: argparse.Namespace) -> tuple[list[str] | None, list[str] | None]:
    """(topics, functions) a `check` names: ``--function NAME`` alone grades NAME's topic."""
    functions = getattr(args, "functions", None) or None
    if functions and not args.topics:
        owners = [fn.topic for fn in catalog.all_functions()
                  if fn.name in functions or f"{fn.topic}.{fn.name}" in functions]
        return (list(dict.fromkeys(owners)) or None), functions
    return args.topics, functions


def _second_grader(folder: str, topics: list[str] | None, options: dict[str, Any]) -> Any:
    """The second grader of a split grading (gradkit/split_grading.py), started before this
    process imports torch (a second or so), so that neither grader waits for the other."""
    from . import split_grading
    return split_grading.start(folder, topics, options)


def _grade(args: argparse.Namespace) -> int:
    from .reporters import formats, html_report

    if args.json:
        args.format, args.out = "json", args.json
    if not args.out:
        print("gradkit: grade needs --out PATH (or --json PATH)", file=sys.stderr)
        return EXIT_GRADING_ERROR
    second = _second_grader(args.folder, args.topics,
                            {"timeout": args.timeout, "pictures": bool(args.html)})
    from .runner import GradingError, grade
    try:
        result = grade(args.folder, args.topics, timeout=args.timeout, pictures=bool(args.html),
                       protect=[os.path.dirname(os.path.abspath(args.out))], split=second or False)
    except GradingError as exc:
        # Even when grading cannot run, the LMS gets a valid results file saying why.
        formats.write_failure(args.format, str(exc), args.out, os.path.abspath(args.folder))
        print(f"gradkit: {exc}", file=sys.stderr)
        return EXIT_GRADING_ERROR
    formats.write(result, args.format, args.out, reveal_hidden=args.reveal_hidden)
    if args.html:
        html_report.write(result.public(i18n.text("hidden.failed")), args.html)
    print(i18n.text("run.written", score=f"{result.score:g}", max=f"{result.max_score:g}",
                    path=args.out))
    return EXIT_OK


def _grade_batch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from . import batch

    folder, csv_path = Path(args.folder), Path(args.csv)
    if not folder.is_dir():
        print(f"gradkit: {i18n.text('run.not_a_folder', folder=folder)}", file=sys.stderr)
        return EXIT_GRADING_ERROR
    if args.topics:
        from .runner import GradingError, resolve_topics
        try:
            resolve_topics(args.topics)
        except GradingError as exc:
            print(f"gradkit: {exc}", file=sys.stderr)
            return EXIT_GRADING_ERROR
    out_dir = Path(args.out_dir) if args.out_dir else csv_path.parent / "results"
    options = {"timeout": args.timeout, "lang": i18n.language(), "topics": args.topics or None}
    security = None
    if args.scheduler:
        from .cluster_tls import ClusterError, connection
        try:
            security, warning = connection(args.scheduler, args.tls_ca, args.tls_cert,
                                           args.tls_key, args.insecure)
        except (ClusterError, ImportError) as exc:
            print(f"gradkit: {exc}", file=sys.stderr)
            return EXIT_GRADING_ERROR
        if warning:
            print(f"gradkit: {warning}", file=sys.stderr)
    console = Console(stderr=True)
    with Progress(console=console, transient=False) as bar:
        task = bar.add_task("grading", total=len(batch.submissions(folder)))
        try:
            report = batch.run(folder, csv_path, out_dir, jobs=args.jobs, force=args.force,
                               options=options, scheduler=args.scheduler, security=security,
                               on_done=lambda student, outcome: bar.advance(task))
        except ImportError as exc:
            print(f"gradkit: --scheduler needs Dask: pip install 'gradkit[batch]' ({exc})",
                  file=sys.stderr)
            return EXIT_GRADING_ERROR
        except (OSError, TimeoutError) as exc:
            if not args.scheduler:
                raise
            print(f"gradkit: cannot reach the Dask scheduler at {args.scheduler}: {exc}",
                  file=sys.stderr)
            return EXIT_GRADING_ERROR
    table = Table("function", "pass rate", "mean", "most frequent misconceptions")
    for row in batch.summarise(report.results, options["topics"]):
        top = ", ".join(f"{m} ({n})" for m, n in row.misconceptions.most_common(3))
        table.add_row(f"{row.topic}.{row.function}", f"{row.pass_rate:.0%}",
                      f"{row.mean:.2f} / {row.max_score:g}", top)
    Console().print(table)
    outcomes = report.outcomes
    graded = sum(v == "graded" for v in outcomes.values())
    kept = sum(v == "kept" for v in outcomes.values())
    print(f"{len(report.results)} submissions: {graded} graded, {kept} kept from "
          f"an earlier run, {len(report.ungraded)} could not be graded; grades in {csv_path}, "
          f"results in {out_dir}")
    if report.ungraded:
        logs = sorted(out_dir.glob("*.log"))
        print(f"could not be graded (0 of {batch.full_max(options['topics']):g} each): "
              f"{', '.join(report.ungraded)}" + (f"; the graders' output is in {len(logs)} "
                                                 f".log file(s) in {out_dir}" if logs else ""))
    if args.class_html and not report.interrupted:
        code = _class_view(out_dir, Path(args.class_html), submissions=folder, roster=args.roster,
                           canvas=csv_path.with_suffix(".canvas.csv"),
                           moodle=csv_path.with_suffix(".moodle.csv"))
        if code != EXIT_OK:
            return code
    if report.interrupted:
        print(f"interrupted: {len(report.pending)} submission(s) not graded yet, none of them "
              f"recorded; the CSV holds what is done. Run the same command again (without "
              f"--force) to grade the rest.", flush=True)
        return 130
    return EXIT_OK


def _cluster_certs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .cluster_tls import ROLES, ClusterError, make_certs
    try:
        made = make_certs(Path(args.folder), tuple(args.name or ROLES), tuple(args.host))
    except (ClusterError, ImportError) as exc:
        print(f"gradkit: {exc} (the 'batch' extra has cryptography)", file=sys.stderr)
        return EXIT_GRADING_ERROR
    for name, (cert, key) in made.items():
        print(f"{name}: {cert} {key}")
    print(f"CA: {Path(args.folder) / 'ca.pem'} (keep ca.key private: it signs new members)")
    return EXIT_OK


def _class(args: argparse.Namespace) -> int:
    from pathlib import Path

    results = Path(args.results)
    if not results.is_dir():
        print(f"gradkit: {i18n.text('run.not_a_folder', folder=results)}", file=sys.stderr)
        return EXIT_GRADING_ERROR
    path = (lambda p: Path(p) if p else None)
    return _class_view(results, path(args.html), submissions=path(args.submissions),
                       roster=args.roster, canvas=path(args.canvas), moodle=path(args.moodle),
                       boilerplate=path(args.boilerplate), assignment=args.assignment,
                       feedback=not args.no_feedback)


def _class_view(results: Path, html: Path | None, roster: str | None = None,
                **options: Any) -> int:
    """Build the class view (gradkit.class_view) and say what was written."""
    from pathlib import Path

    from . import class_view

    try:
        built = class_view.build(results, class_view.Outputs(
            html=html, roster=Path(roster) if roster else None, **options), i18n.language())
    except ImportError as exc:
        print(f"gradkit: the class view needs its plotting and similarity packages: "
              f"pip install 'gradkit[class]' ({exc})", file=sys.stderr)
        return EXIT_GRADING_ERROR
    except (OSError, ValueError) as exc:
        print(f"gradkit: {exc}", file=sys.stderr)
        return EXIT_GRADING_ERROR
    pairs = "not checked" if built.pairs is None else str(len(built.pairs))
    print(f"class view: {built.stats.students} students, {built.feedback_pages} feedback pages "
          f"in {results}, near-identical pairs: {pairs}")
    for path in built.written:
        print(f"  wrote {path}")
    return EXIT_OK


def _hint(args: argparse.Namespace) -> int:
    from . import progress

    try:
        catalog.find(args.function)
    except KeyError:
        print(_unknown_function(args.function), file=sys.stderr)
        return EXIT_GRADING_ERROR
    hints = i18n.hints(args.function)
    index = progress.next_hint(args.function, len(hints), reset=args.reset)
    if index is None:
        print(i18n.text("hint.all_seen", function=args.function))
        return EXIT_OK
    print(i18n.text("hint.header", n=index + 1, total=len(hints), function=args.function))
    print(hints[index])
    return EXIT_OK


def _unknown_function(name: str) -> str:
    """Why there is no hint for ``name``: a topic (its functions listed), a near miss (the
    closest names), or nothing like it."""
    import difflib

    topics = {t.name: t for t in catalog.TOPICS}
    if name in topics:
        functions = ", ".join(f.name for f in topics[name].functions)
        return i18n.text("hint.is_topic", topic=name, functions=functions)
    names = [f.name for t in catalog.TOPICS for f in t.functions]
    close = difflib.get_close_matches(name, names + list(topics), n=3, cutoff=0.6)
    if close:
        return i18n.text("hint.did_you_mean", function=name, names=", ".join(close))
    return i18n.text("hint.unknown", function=name)


def _list(args: argparse.Namespace) -> int:
    from . import progress

    scores = progress.scores(getattr(args, "target", None))
    total = 0.0
    for topic in catalog.TOPICS:
        points = sum(f.points for f in topic.functions)
        total += points
        earned = sum(scores.get(f"{topic.name}.{f.name}", [0])[0] for f in topic.functions)
        seen = any(f"{topic.name}.{f.name}" in scores for f in topic.functions)
        provisional = any("provisional" in scores.get(f"{topic.name}.{f.name}", [])[2:]
                          for f in topic.functions)
        state = ("list.provisional" if provisional and earned > 0 else "list.done"
                 if earned >= points else "list.partly" if earned > 0 else "list.not_started")
        bar = _bar(earned / points if points else 0.0)
        progress_text = f"  {bar} {earned:g}/{points:g} {i18n.text(state)}" if seen else ""
        print(f"{topic.name} — {topic.title} ({topic.title_zh}), "
              f"{i18n.text('list.points', points=f'{points:g}')}{progress_text}")
        for fn in topic.functions:
            print(_function_line(fn, scores.get(f"{topic.name}.{fn.name}") if seen else None, seen))
    print(i18n.text("list.total", points=f"{total:g}"))
    if not scores:
        print(i18n.text("list.no_progress"))
    return EXIT_OK


LIST_MARKS = {"passed": "✓", "failed": "✗", "provisional": "~", "not_started": " "}


def _function_line(fn: catalog.Function, entry: list[Any] | None, seen: bool) -> str:
    """One function of `gradkit list`: with its topic checked, ✓ / ✗ / ~ and its score from
    the last check, or "not started" (a stub, or never graded)."""
    from . import progress

    call = f"{fn.name}({', '.join(fn.params)})"
    if not seen:
        return f"    {call}  {fn.points:g}"
    state = progress.function_state(entry)
    if state == "not_started":
        return f"  {LIST_MARKS[state]} {call}  {fn.points:g}  {i18n.text('list.not_started')}"
    words = {"passed": "list.function_passed", "failed": "list.function_failed",
             "provisional": "list.provisional"}[state]
    assert entry is not None  # a state other than not_started has an entry
    return f"  {LIST_MARKS[state]} {call}  {entry[0]:g}/{entry[1]:g}  {i18n.text(words)}"


def _bar(fraction: float, width: int = 20) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "█" * filled + "·" * (width - filled) + "]"


if __name__ == "__main__":
    sys.exit(main())
