"""JUnit XML (GitLab, Jenkins, CodeGrade): one testcase per check, a suite per topic."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..i18n import text
from ..results import GradeResult
from .summary import function_text


def to_xml(result: GradeResult) -> bytes:
    lang = result.language
    public = result.public(text("hidden.failed", lang))
    root = ET.Element("testsuites", name="gradkit", tests=str(_count(public)),
                      time=f"{result.execution_time_s:.3f}")
    for topic in dict.fromkeys(f.topic for f in public.functions):
        fns = [f for f in public.functions if f.topic == topic]
        checks = [c for f in fns for c in f.checks]
        suite = ET.SubElement(root, "testsuite", name=topic, tests=str(len(checks)),
                              failures=str(sum(c.outcome == "failed" for c in checks)),
                              skipped=str(sum(c.skipped for c in checks)), errors="0",
                              time=f"{sum(c.duration_s for c in checks):.3f}")
        _properties(suite, result)
        for fn in fns:
            for check in fn.checks:
                case = ET.SubElement(suite, "testcase", classname=f"{topic}.{fn.function}",
                                     name=check.name, time=f"{check.duration_s:.4f}")
                if check.skipped:
                    ET.SubElement(case, "skipped", message=check.message)
                elif check.outcome == "failed":
                    failure = ET.SubElement(case, "failure", message=check.message[:500],
                                            type=check.misconception or check.error_kind or "wrong")
                    failure.text = function_text(fn, lang, checks=[check])
    if not public.functions:  # grading could not run: one errored case says why
        suite = ET.SubElement(root, "testsuite", name="gradkit", tests="1", failures="0",
                              errors="1", skipped="0", time="0")
        _properties(suite, result)
        case = ET.SubElement(suite, "testcase", classname="gradkit", name="grading")
        ET.SubElement(case, "error", message="; ".join(result.notes)[:500]).text = "\n".join(
            result.notes)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _properties(suite: ET.Element, result: GradeResult) -> None:
    """The isolation level student code ran under and the limits in force, as every format
    records them (JUnit keeps properties per suite)."""
    isolation = result.environment.get("isolation") or {}
    found = [("isolation", isolation.get("level", "unknown"))] + [
        (f"limit.{key}", value) for key, value in sorted((isolation.get("limits") or {}).items())]
    properties = ET.SubElement(suite, "properties")
    for name, value in found:
        ET.SubElement(properties, "property", name=name, value=str(value))


def _count(result: GradeResult) -> int:
    return sum(len(f.checks) for f in result.functions)
