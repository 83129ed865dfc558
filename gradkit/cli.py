"""gradkit's command line: check (students), grade (LMS and scripts), list."""

from __future__ import annotations

import argparse
import os
import sys

from . import catalog

EXIT_OK, EXIT_FAILED_CHECKS, EXIT_GRADING_ERROR = 0, 1, 2


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_GRADING_ERROR
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradkit", description="Autograd exercises, graded by property checks against torch.")
    sub = parser.add_subparsers(dest="command")

    check = sub.add_parser("check", help="grade your exercises and explain what failed")
    check.add_argument("topics", nargs="*", metavar="TOPIC", help="topics to grade (default: all)")
    check.add_argument("--target", default="exercises", help="the folder to grade (default: exercises)")
    check.add_argument("--timeout", type=float, default=10.0, help="seconds per call (default: 10)")
    check.set_defaults(run=_check)

    grade = sub.add_parser("grade", help="grade a submission folder into a results file")
    grade.add_argument("folder", help="the submission folder")
    grade.add_argument("--json", required=True, metavar="OUT", help="where to write the results")
    grade.add_argument("--topics", nargs="*", metavar="TOPIC", help="topics to grade (default: all)")
    grade.add_argument("--timeout", type=float, default=10.0, help="seconds per call (default: 10)")
    grade.set_defaults(run=_grade)

    lst = sub.add_parser("list", help="list topics, functions and points")
    lst.set_defaults(run=_list)
    return parser


def _check(args) -> int:
    from .reporters import terminal
    from .runner import GradingError, grade

    try:
        result = grade(args.target, args.topics, timeout=args.timeout)
    except GradingError as exc:
        print(f"gradkit: {exc}", file=sys.stderr)
        return EXIT_GRADING_ERROR
    terminal.render(result, target=args.target)
    return EXIT_OK if result.all_passed else EXIT_FAILED_CHECKS


def _grade(args) -> int:
    from .reporters import json_report
    from .results import GradeResult
    from .runner import GradingError, grade

    try:
        result = grade(args.folder, args.topics, timeout=args.timeout)
    except GradingError as exc:
        # Even when grading cannot run, the LMS gets a valid results file saying why.
        failed = GradeResult(submission=os.path.abspath(args.folder), functions=[],
                             notes=[f"grading could not run: {exc}"])
        json_report.write(failed, args.json)
        print(f"gradkit: {exc}", file=sys.stderr)
        return EXIT_GRADING_ERROR
    json_report.write(result, args.json)
    print(f"{result.score:g} / {result.max_score:g} written to {args.json}")
    return EXIT_OK


def _list(args) -> int:
    total = 0.0
    for topic in catalog.TOPICS:
        points = sum(f.points for f in topic.functions)
        total += points
        print(f"{topic.name} — {topic.title} ({topic.title_zh}), {points:g} points")
        for fn in topic.functions:
            print(f"    {fn.name}({', '.join(fn.params)})  {fn.points:g}")
    print(f"total {total:g} points")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
