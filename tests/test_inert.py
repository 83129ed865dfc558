"""Student text is inert everywhere: a submission whose exception messages, printed output,
returned strings and file names carry terminal escapes, bidi overrides, controls, a forged
total and a scratch path is graded once, and all seven formats show none of it raw; then
the same property for any text hypothesis can draw, straight through the results model."""

import csv
import io
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from junitparser import JUnitXml

from gradkit import inert
from gradkit.results import FAILED, CheckResult, FunctionResult, GradeResult
from tests.kit import KIT, cli_env, overlay

# Every way a string could act on a reader, and the words that must never stand alone.
PAYLOAD = ("\x1b[2J\x1b[H\x1b[1;31mRED\x1b[0m\x1b]0;PWNED-TITLE\x07"
           "\x1b]8;;http://evil.example/\x07CLICK\x1b]8;;\x07\u202eEDISREVER\u202c\u2066iso\u2069"
           "\x00NUL\x01\x08\x7f\x9b31mC1\x9d0;t\x9c\x85\u2028\u200b\rTotal: 54 / 54\n"
           "Total: 54 / 54\n[click](http://evil.example/) ![t](http://t.example/x.png) "
           "<img src=x onerror=alert(1)> **bold** ``` # heading\n")
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\u2028\u2029"
                       "\ufffe\uffff]")
FILE = '=HYPERLINK("x").py'

SUBMISSION = '''
import torch

PAYLOAD = {payload!r}
HERE = __file__  # in the grader's scratch where the sandbox has no namespaces


def linear_mse_grad(x, y, w, b):
    raise ValueError(PAYLOAD + " at " + HERE + " and /tmp/gradkit-abc123_/secret.py")


def sigmoid_neuron_grad(x, w, t):
    print(PAYLOAD + HERE)
    return torch.zeros_like(x)


def matrix_mse_grad(X, y, w):
    return PAYLOAD
'''.format(payload=PAYLOAD)

SCRIPT = '''
import json, sys
from pathlib import Path
from rich.console import Console
from gradkit import batch
from gradkit.runner import grade
from gradkit.reporters import formats, html_report, terminal
folder, out = sys.argv[1], Path(sys.argv[2])
result = grade(folder, ["manual_grad"], lang="en")
for fmt in formats.FORMATS:
    formats.write(result, fmt, str(out / ("result." + fmt)), reveal_hidden=fmt == "json")
html_report.write(result, str(out / "html"))
batch.write_csv({{sys.argv[3]: result}}, out / "grades.csv", ["manual_grad"])
console = Console(file=open(out / "terminal.txt", "w"), force_terminal=True, width=200,
                  color_system="truecolor", highlight=False, soft_wrap=True)
terminal.render(result, console=console, target=folder)
'''


def _readable(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    work = tmp_path_factory.mktemp("inert")
    folder = overlay(work / "sub", {"manual_grad": SUBMISSION})
    (folder / FILE).write_text("import ctypes  # \x1b[2J a reach, so the review names this file\n")
    out = work / "out"
    out.mkdir()
    student = '=HYPERLINK("x")\x1b]0;t\x07\u202e'
    subprocess.run([sys.executable, "-c", SCRIPT.format(), str(folder), str(out), student],
                   check=True, env=cli_env(), cwd=KIT, timeout=600)
    return {"folder": folder, "out": out,
            "json": _readable(out / "result.json"), "gradescope": _readable(out / "result.gradescope"),
            "prairielearn": _readable(out / "result.prairielearn"),
            "junit": _readable(out / "result.junit"), "html": _readable(out / "html" / "index.html"),
            "csv": _readable(out / "grades.csv"), "terminal": _readable(out / "terminal.txt")}


FORMATS = ["json", "gradescope", "prairielearn", "junit", "html", "csv", "terminal"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_escape_control_or_bidi_character_reaches_any_format(reports, fmt):
    shown = reports[fmt]
    if fmt == "terminal":  # the reporter's own colours are its own: the student's are gone
        shown = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    if fmt in ("json", "gradescope", "prairielearn"):  # what a reader of the file sees
        shown = json.dumps(json.loads(shown), ensure_ascii=False)
    assert not FORMATS_SEEN(shown), [hex(ord(c)) for c in FORMATS_SEEN(shown)]
    assert "EDISREVER" in shown or fmt in ("csv", "junit"), "the payload was shown at all"


def FORMATS_SEEN(shown: str) -> list[str]:
    return FORBIDDEN.findall(shown)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_forged_total_line_and_no_grader_path(reports, fmt):
    shown = reports[fmt]
    if fmt == "html":  # printed output is shown as such, in its own box, and nowhere else
        shown = re.sub(r'<pre class="printed">.*?</pre>', "", shown, flags=re.S)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in shown.splitlines()]
    # The real total starts a line; a forged one may appear only inside a line, or indented
    # under "output:" where the terminal shows what the code printed.
    assert not any(line.startswith("Total: 54 / 54") for line in lines), fmt
    assert "gradkit-abc123_" not in shown and "/secret.py" not in shown
    assert str(KIT / "checks") not in shown
    if fmt != "json":  # (the instructor's JSON names the submission folder, which is theirs)
        assert "/tmp/gradkit-" not in shown


def test_junit_is_well_formed_and_carries_the_failure(reports):
    xml = JUnitXml.fromfile(str(reports["out"] / "result.junit"))
    failures = [r for suite in xml for case in suite for r in case.result]
    assert any("EDISREVER" in (r.message or "") for r in failures)


def test_the_csv_has_no_formula_and_the_review_names_the_file_inertly(reports):
    rows = list(csv.reader(io.StringIO(reports["csv"])))
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    student = rows[1][0]
    assert student.startswith("'=HYPERLINK") and "\u202e" not in student
    review = rows[1][rows[0].index("review")]
    assert 'HYPERLINK("x").py' in review
    data = json.loads(reports["json"])
    assert any(h["file"] == FILE for h in data["review"])  # a name, kept readable


def test_gradescope_markdown_renders_no_link_image_tag_or_emphasis_of_the_students(reports):
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    outputs = [t["output"] for t in json.loads(reports["gradescope"])["tests"]]
    assert any("click" in o for o in outputs)
    for output in outputs:
        page = md.render(output)
        assert "<a " not in page and "<img" not in page and "<h1" not in page, page
        if "click" in output:  # the student's text is there, as text
            assert "<strong>bold" not in page and "[click](http://evil.example/)" in page


def test_the_terminal_shows_the_message_on_one_line(reports):
    text = re.sub(r"\x1b\[[0-9;]*m", "", reports["terminal"])
    line = next(line for line in text.splitlines() if "EDISREVER" in line)
    assert "REDCLICK" in line.replace(" ", "") or "RED" in line


# -- the second style: any text through the model and every reporter -------------------------

def _result(s: str) -> GradeResult:
    check = CheckResult(name="linear_mse_grad_matches[cpu]", outcome=FAILED, message=s,
                        check="manual_grad::matches", call=s, inputs={"x": s}, expected=s, got=s,
                        error_kind="exception", output=s)
    fn = FunctionResult("manual_grad", "linear_mse_grad", 2, [check],
                        pictures={"graphs": {"student": {"text": s, "dot": "", "nodes": 1}}})
    return GradeResult("submissions/alice", [fn], notes=[s], flags=[{"function": s, "event": s, "detail": s}],
                       review=[{"file": s, "line": 1, "what": s, "about": s}])


ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    [PAYLOAD, "\ud800", "=1+1", "@SUM(A1)", "\t-2", "\r+3", "/tmp/gradkit-x1/y"])


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(s=ANY_TEXT)
def test_any_student_text_comes_out_inert_in_every_format(s, tmp_path_factory):
    from rich.console import Console

    from gradkit import batch
    from gradkit.reporters import formats, html_report, terminal

    result = _result(s)
    rendered = {fmt: formats.render(result, fmt, reveal_hidden=True) for fmt in formats.FORMATS}
    rendered["html"] = html_report.page(result)
    buffer = io.StringIO()
    terminal.render(result, console=Console(file=buffer, width=200, highlight=False,
                                            soft_wrap=True, color_system=None))
    rendered["terminal"] = buffer.getvalue()
    for fmt, shown in rendered.items():
        if fmt in ("json", "gradescope", "prairielearn"):
            shown = json.dumps(json.loads(shown), ensure_ascii=False)
        assert not FORBIDDEN.findall(shown), (fmt, s)
        assert not any(unicodedata.category(c) == "Cs" for c in shown), (fmt, s)
        assert "gradkit-x1" not in shown  # the sampled scratch path
    JUnitXml.fromstring(rendered["junit"])  # well-formed whatever the text
    path = tmp_path_factory.mktemp("csv") / "g.csv"
    batch.write_csv({s or "x": result}, path, ["manual_grad"])
    for row in csv.reader(open(path, encoding="utf-8", newline="")):
        assert all(not c.startswith(inert._FORMULA_START) for c in row), row


def test_inert_functions_directly():
    kit_file = str(KIT / "checks" / "gd_loop.py")
    assert inert.text(f"see {kit_file}") == "see <kit>/checks/gd_loop.py"
    assert inert.text("/tmp/gradkit-batch-x_1/alice/a.py: boom") == "<scratch>: boom"
    assert inert.text("/tmp/gradkit-batch-x_1/alice", paths=True) == "/tmp/gradkit-batch-x_1/alice"
    assert inert.text("a\x1b]8;;http://x\x07b\x1b]8;;\x1b\\c") == "abc"  # OSC-8 ended by ST too
    assert inert.text("zero\u200bwidth\u2060joiner\u200d") == "zerowidthjoiner\u200d"
    assert inert.line("one\ntwo\u2028three") == "one two three"
    assert [inert.csv_cell(c) for c in ("=1", "+1", "-1", "@A", "\t1", "\r1", "1", "")] == [
        "'=1", "'+1", "'-1", "'@A", " 1", "1", "1", ""]  # tab, CR: gone
    assert inert.deep({"k\x1b[2J": ("v\x00", ["\u202ex"])}) == {"k": ("v", ["x"])}
