"""The LMS formats: Gradescope and PrairieLearn files valid against schemas written
from their specifications, JUnit that junitparser reads back, and hidden checks whose
inputs and expected values appear nowhere a student looks before publication."""

import json
from pathlib import Path

import jsonschema
import junitparser
import pytest
from rich.console import Console

from gradkit import i18n
from gradkit.reporters import formats, html_report, terminal
from gradkit.results import CheckResult, FunctionResult, GradeResult

SCHEMAS = Path(__file__).parent / "schemas"
NAMES = ["solutions", "exercises", "mixed", "hostile", "syntax_error"]


def schema(name):
    return json.loads((SCHEMAS / f"{name}.json").read_text())


@pytest.mark.parametrize("name", NAMES)
def test_gradescope_results_are_valid_and_add_up(graded, name):
    data = json.loads(formats.render(graded[name], "gradescope"))
    jsonschema.validate(data, schema("gradescope"))
    assert abs(sum(t["score"] for t in data["tests"]) - data["score"]) < 1e-3
    assert abs(sum(t["max_score"] for t in data["tests"]) - graded[name].max_score) < 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_prairielearn_results_are_valid(graded, name):
    data = json.loads(formats.render(graded[name], "prairielearn"))
    jsonschema.validate(data, schema("prairielearn"))
    assert data["score"] == pytest.approx(graded[name].score / graded[name].max_score, abs=1e-6)


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_a_run_that_could_not_grade_still_writes_a_valid_file(tmp_path, fmt):
    path = tmp_path / f"results.{fmt}"
    formats.write_failure(fmt, "no such folder", str(path))
    body = path.read_text()
    assert "no such folder" in body
    if fmt in ("gradescope", "prairielearn"):
        data = json.loads(body)
        jsonschema.validate(data, schema(fmt))
        assert data["score"] == 0 and (fmt != "prairielearn" or data["gradable"] is False)
    if fmt == "junit":
        junitparser.JUnitXml.fromfile(str(path))


def test_prairielearn_stays_under_one_megabyte_whatever_was_printed():
    noisy = CheckResult(name="c", outcome="failed", message="x" * 400_000, call="f(...)")
    result = GradeResult("s", [FunctionResult("manual_grad", f"f{i}", 1, [noisy]) for i in range(6)])
    body = formats.render(result, "prairielearn").encode()
    assert len(body) < 1_000_000
    jsonschema.validate(json.loads(body), schema("prairielearn"))


def test_junit_reads_back_one_testcase_per_check(graded, tmp_path):
    result = graded["mixed"]
    path = tmp_path / "junit.xml"
    formats.write(result, "junit", str(path))
    xml = junitparser.JUnitXml.fromfile(str(path))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == sum(len(f.checks) for f in result.functions)
    failures = [c for c in cases if any(isinstance(r, junitparser.Failure) for r in c.result)]
    assert len(failures) == sum(len(f.failed) for f in result.functions)
    # Every suite records the isolation level and the limits, as the other formats do.
    level = result.environment["isolation"]["level"]
    for suite in xml:
        found = {p.name: p.value for p in suite.properties()}
        assert found["isolation"] == level and "limit.run_budget_s" in found


def _hidden_failures(result):
    return [c for f in result.functions for c in f.failed if c.hidden]


def test_the_mixed_submission_fails_hidden_checks(graded):
    assert {c.check for c in _hidden_failures(graded["mixed"])} >= {
        "graph_leaves::hidden::grad_fn_names_deep_graphs",
        "gd_loop::hidden::gradient_descent_long_runs"}


def test_hidden_details_appear_nowhere_before_publication(graded, tmp_path):
    result = graded["mixed"]

    def details(c):
        return {c.call, c.expected, c.got, (c.inputs or {}).get("graph")} - {None}
    public_text = {s for f in result.functions for c in f.checks if not c.hidden
                   for s in details(c) | {c.message}}
    # What only a hidden check shows (a public check may share, say, a call's text).
    secrets = {s for c in _hidden_failures(result) for s in details(c)
               if not any(s in p for p in public_text)}
    assert len(secrets) >= 3
    shown = {fmt: _strings(json.loads(formats.render(result, fmt)))
             for fmt in ("json", "prairielearn")}
    shown["junit"] = _xml_strings(formats.render(result, "junit"))
    public = result.public(i18n.text("hidden.failed", "en"))
    shown["html"] = html_report.page(public)
    console = Console(record=True, width=200)
    terminal.render(public, console=console)
    shown["terminal"] = console.export_text()
    gradescope = json.loads(formats.render(result, "gradescope"))
    shown["gradescope (visible tests)"] = _strings(
        [t for t in gradescope["tests"] if t["visibility"] != "after_published"] +
        [gradescope["output"]])
    for where, text in shown.items():
        for secret in secrets:
            assert secret not in text, f"{where} shows a hidden check's {secret[:40]}"
    hidden_tests = [t for t in gradescope["tests"] if t["visibility"] == "after_published"]
    assert hidden_tests and any(t["status"] == "failed" for t in hidden_tests)
    assert "hidden check failed" in shown["json"]
    revealed = _strings(json.loads(formats.render(result, "json", reveal_hidden=True)))
    assert all(secret in revealed for secret in secrets)
    published = _strings([t for t in gradescope["tests"] if t["visibility"] == "after_published"])
    assert any(secret in published for secret in secrets)


def _strings(value) -> str:
    """Every string in a parsed JSON value, one per line: what a reader of it can see."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return "\n".join(_strings(v) for v in value)
    return str(value)


def _xml_strings(source: str) -> str:
    import xml.etree.ElementTree as ET
    return "\n".join(t for el in ET.fromstring(source.encode()).iter()
                     for t in [el.text or "", *el.attrib.values()])
