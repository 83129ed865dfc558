"""The instructor's class view, end to end: a small class graded with `grade-batch
--class-html` (a correct submission, two wrong in known ways, two near-copies of one
submission with renamed variables), then the class page's numbers checked against the
results files, the page opened in a real browser, the Canvas and Moodle CSVs read back
with their documented headers, the near-copies found and no other pair, and the
feedback pages checked for what a student may and may not see.

One topic (manual_grad) is graded, so the whole module grades once, in about 30 s.
"""

from __future__ import annotations

import ast
import csv
import html
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from gradkit import i18n
from gradkit.class_stats import ClassStats, results_files
from gradkit.class_view import Outputs, build, read_class
from gradkit.reporters import formats
from gradkit.class_page import page
from gradkit.gradebook import CANVAS_COLUMNS, MOODLE_ID
from gradkit.results import GradeResult
from gradkit.similarity import similar_pairs, sources
from tests.kit import MUTANTS, SUBMISSIONS, Mutant, cli_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOPIC = "manual_grad"
# Two wrong answers, each a known mistake (tests/mutants/) on an independently written base.
WRONG = {"bob": ("functional", "manual_grad/linear_dropped_factor2"),
         "carol": ("numpy_minded", "manual_grad/sigmoid_derivative_wrong_point")}
# Two near-copies of one wrong submission (oop with a known mistake), locals renamed
# differently in each: the copied mistake makes linear_mse_grad's checks fail for most.
COPIES = ("dave", "erin")
COPIED = ("oop", "manual_grad/linear_sum_not_mean")


def _with_mutant(base: str, mutant: str, folder: Path) -> Path:
    """An independently written submission with one function replaced by a mutant's."""
    shutil.copytree(SUBMISSIONS / base, folder)
    wrong = Mutant(MUTANTS / f"{mutant}.py")
    module = folder / f"{wrong.topic}.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n\n" + wrong.source, encoding="utf-8")
    return folder


class _RenameLocals(ast.NodeTransformer):
    """Every local variable of every function renamed (parameters kept: they are the
    contract), as a student hiding a copy would."""

    def __init__(self, suffix: str):
        self.suffix = suffix
        self.names: set[str] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        params = {a.arg for a in node.args.args + node.args.kwonlyargs}
        stored = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
        outer, self.names = self.names, stored - params
        self.generic_visit(node)
        self.names = outer
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.names:
            node.id = f"{node.id}_{self.suffix}"
        return node


def _near_copy(suffix: str, folder: Path) -> Path:
    return _rename_locals(_with_mutant(*COPIED, folder), suffix)


def _rename_locals(folder: Path, suffix: str) -> Path:
    for module in folder.glob("*.py"):
        tree = _RenameLocals(suffix).visit(ast.parse(module.read_text(encoding="utf-8")))
        module.write_text(f"# my own work ({suffix})\n" + ast.unparse(tree) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("class")
    subs = work / "submissions"
    subs.mkdir()
    shutil.copytree(SUBMISSIONS / "loops", subs / "alice")
    for student, (base, mutant) in WRONG.items():
        _with_mutant(base, mutant, subs / student)
    for student, suffix in zip(COPIES, ("mine", "tmp")):
        _near_copy(suffix, subs / student)
    out = work / "out"
    done = subprocess.run(
        [sys.executable, "-m", "gradkit", "grade-batch", str(subs), "--csv", str(out / "grades.csv"),
         "--jobs", "2", "--topics", TOPIC, "--class-html", str(out / "class.html")],
        capture_output=True, text=True, timeout=600, env=cli_env())
    assert done.returncode == 0, done.stdout + done.stderr
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")
               if p.name != "summary.json"}
    return {"out": out, "subs": subs, "stdout": done.stdout, "results": results,
            "page": (out / "class.html").read_text(encoding="utf-8")}


def _attrs(page_text: str, tag_attr: str) -> dict[str, dict[str, str]]:
    """Rows of the page keyed by ``data-<tag_attr>``, each with its data-* attributes."""
    rows = {}
    for tag in re.findall(rf"<[a-z]+ [^>]*data-{tag_attr}=[^>]*>", page_text):
        found = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z]+)="([^"]*)"', tag)}
        rows[found[tag_attr]] = found
    return rows


def test_the_class_is_graded_as_built(batch):
    scores = {s: (r["score"], r["max_score"]) for s, r in batch["results"].items()}
    assert set(scores) == {"alice", "bob", "carol", *COPIES}
    assert scores["alice"] == (10, 10)
    for student, (_, mutant) in [*WRONG.items(), *((s, COPIED) for s in COPIES)]:
        assert scores[student][0] < 10, student
        mids = {c["misconception"] for f in batch["results"][student]["functions"]
                for c in f["checks"] if not c["passed"]}
        assert Mutant(MUTANTS / f"{mutant}.py").misconception in mids, student


def test_the_page_numbers_are_the_results_files(batch):
    page_text, results = batch["page"], batch["results"]
    summary = _attrs(page_text, "students")
    head = next(v for v in summary.values() if "graded" in v)
    assert head["students"] == "5" and head["graded"] == "5" and head["ungraded"] == "0"
    assert float(head["mean"]) == pytest.approx(sum(r["score"] for r in results.values()) / 5,
                                                abs=1e-4)
    # Per function: mean and full marks, recomputed from every results file.
    functions = _attrs(page_text, "function")
    per_fn: dict[str, list[tuple[float, float]]] = {}
    for r in results.values():
        for f in r["functions"]:
            per_fn.setdefault(f"{f['topic']}.{f['function']}", []).append((f["score"], f["max_score"]))
    assert set(functions) == set(per_fn) and len(per_fn) == 4
    for name, pairs in per_fn.items():
        assert float(functions[name]["mean"]) == pytest.approx(sum(s for s, _ in pairs) / 5, abs=1e-4)
        assert int(functions[name]["full"]) == sum(s >= m for s, m in pairs)
    # Misconceptions: students per id, ranked.
    shown = _attrs(page_text, "mid")
    expected = Counter(mid for r in results.values() for mid in {
        c["misconception"] for f in r["functions"] for c in f["checks"]
        if not c["passed"] and c["misconception"]})
    assert {m: int(v["students"]) for m, v in shown.items()} == dict(expected)
    order = [m for m in re.findall(r'data-mid="([^"]+)"', page_text)]
    assert [expected[m] for m in order] == sorted(expected.values(), reverse=True)
    for mid in expected:  # its description, in the page's language, and one example
        assert html.escape(i18n.misconception(mid, "en")) in page_text
    # Checks most students fail: pass counts per check id, from the results files.
    counts: dict[str, Counter] = {}
    for r in results.values():
        for f in r["functions"]:
            for c in f["checks"]:
                if c["outcome"] != "skipped" and c["error_kind"] != "harness":
                    counts.setdefault(c["check"] or c["name"], Counter())[c["passed"]] += 1
    for check, row in _attrs(page_text, "check").items():
        assert (int(row["passed"]), int(row["failed"])) == (counts[check][True], counts[check][False])
        assert int(row["passed"]) < int(row["failed"])  # listed: passed by under half
    hard = {c for c, n in counts.items() if n[True] < (n[True] + n[False]) / 2}
    assert set(_attrs(page_text, "check")) == hard and hard  # the copied mistake's checks
    # Isolation: every grading's level, counted.
    levels = Counter(r["environment"]["isolation"]["level"] for r in results.values())
    assert {k: int(v["count"]) for k, v in _attrs(page_text, "level").items()} == dict(levels)


def test_light_reading_and_split_reading_give_the_same_page(batch):
    """The aggregates from light results (text left out), from whole results, and from two
    halves merged (as the process pool does) are one and the same page."""
    paths = results_files(batch["out"] / "results")
    whole = read_class(paths, feedback=True)[0]
    light = read_class(paths, feedback=False)[0]
    halves = read_class(paths[:2], feedback=False)[0]
    halves.merge(read_class(paths[2:], feedback=False)[0])
    pages = {page(stats, [], lang) for stats in (whole, light, halves) for lang in ("en",)}
    assert len(pages) == 1
    assert light.misconceptions.keys() == whole.misconceptions.keys() and light.misconceptions
    for mid, m in whole.misconceptions.items():
        assert light.misconceptions[mid].example == m.example is not None


def test_a_student_who_could_not_be_graded_and_files_that_are_not_results(batch, tmp_path):
    """As the batch CSV: an ungraded student counts apart (0 in the gradebooks, no
    feedback page); summary.json, logs and a broken file are not students."""
    results = tmp_path / "results"
    shutil.copytree(batch["out"] / "results", results)
    formats.write_failure("json", "unsafe zip", str(results / "zoe.json"), "zoe.zip")
    (results / "broken.json").write_text("{not json")
    (results / "zoe.log").write_text("the grader's output")
    built = build(results, Outputs(html=tmp_path / "c.html", canvas=tmp_path / "c.csv"), "en")
    assert built.stats.students == 6 and built.stats.ungraded == ["zoe"]
    assert built.feedback_pages == 5 and not (results / "zoe.html").exists()
    head = next(v for v in _attrs((tmp_path / "c.html").read_text(), "students").values()
                if "graded" in v)
    assert (head["students"], head["graded"], head["ungraded"]) == ("6", "5", "1")
    rows = {r["SIS Login ID"]: r for r in csv.DictReader(open(tmp_path / "c.csv", encoding="utf-8"))}
    assert rows["zoe"]["gradkit"] == "0" and "broken" not in rows and "summary" not in rows


def test_the_near_copies_and_no_other_pair(batch):
    pairs = _attrs(batch["page"], "pair")
    assert list(pairs) == ["dave|erin"], pairs
    assert float(pairs["dave|erin"]["similarity"]) >= 0.8
    assert "near-identical pairs: 1" in batch["stdout"]


def test_similarity_sees_through_renaming_but_not_through_different_work():
    """The detector itself: a copy with every local renamed and reformatted is found; two
    independent correct submissions are not; the stubs everyone starts from do not count."""
    read = (lambda folder: "\n".join(p.read_text() for p in sorted(folder.glob("*.py"))))
    stubs = read(Path(__file__).resolve().parent.parent / "exercises")
    code = {name: read(SUBMISSIONS / name) for name in ("loops", "functional", "orders", "oop")}
    code["oop-copy"] = "\n".join(ast.unparse(_RenameLocals("x").visit(ast.parse(c)))
                                 for c in [read(SUBMISSIONS / "oop")])
    code["stub-only"] = stubs
    code["stub-too"] = stubs + "\n"
    found = [(p.a, p.b) for p in similar_pairs(code, stubs)]
    assert found == [("oop", "oop-copy")]


def test_canvas_and_moodle_csvs_import_with_their_headers(batch):
    out, results = batch["out"], batch["results"]
    with open(out / "grades.canvas.csv", newline="", encoding="utf-8") as fh:
        canvas = list(csv.reader(fh))
    assert tuple(canvas[0][:5]) == CANVAS_COLUMNS == (
        "Student", "ID", "SIS User ID", "SIS Login ID", "Section")
    assert canvas[0][5] == "gradkit" and canvas[1][0] == "Points Possible" and canvas[1][5] == "10"
    by_login = {row[3]: float(row[5]) for row in canvas[2:]}
    assert by_login == {s: r["score"] for s, r in results.items()}
    with open(out / "grades.moodle.csv", newline="", encoding="utf-8") as fh:
        moodle = list(csv.DictReader(fh))
    assert MOODLE_ID == "Email address" and list(moodle[0]) == ["Email address", "gradkit"]
    assert {r["Email address"]: float(r["gradkit"]) for r in moodle} == by_login


def test_a_roster_maps_folders_to_lms_ids_and_student_text_stays_inert(batch, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("folder,name,canvas_id,sis_user_id,sis_login_id,section,email\n"
                      "alice,Alice A,101,S1,alice1,L01,alice@example.edu\n"
                      "bob,=HYPERLINK(\"x\"),102,S2,bob2,L01,bob@example.edu\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "gradkit", "class", str(batch["out"] / "results"), "--no-feedback",
         "--roster", str(roster), "--canvas", str(tmp_path / "c.csv"), "--moodle",
         str(tmp_path / "m.csv"), "--assignment", "HW1"],
        capture_output=True, text=True, timeout=120, env=cli_env())
    assert done.returncode == 0, done.stderr
    canvas = {r["SIS Login ID"]: r for r in csv.DictReader(open(tmp_path / "c.csv", encoding="utf-8"))}
    assert canvas["alice1"]["ID"] == "101" and canvas["alice1"]["Student"] == "Alice A"
    assert canvas["bob2"]["Student"].startswith("'=")  # a formula is shown as text
    assert canvas["carol"]["ID"] == "" and "HW1" in canvas["alice1"]
    moodle = {r["Email address"]: r["HW1"] for r in csv.DictReader(open(tmp_path / "m.csv", encoding="utf-8"))}
    assert set(moodle) == {"alice@example.edu", "bob@example.edu", "carol", *COPIES}


def test_the_batch_csv_names_each_students_misconceptions(batch):
    """A second, independent route to the page's ranking: the batch CSV's column."""
    rows = list(csv.DictReader(open(batch["out"] / "grades.csv", encoding="utf-8")))
    per_student = Counter()
    for row in rows:
        ids = {item.split(":")[-1].strip() for item in row["misconceptions"].split(";") if item.strip()}
        per_student.update(ids)
    shown = {m: int(v["students"]) for m, v in _attrs(batch["page"], "mid").items()}
    assert dict(per_student) == shown and shown
    alice = next(r for r in rows if r["student"] == "alice")
    assert alice["misconceptions"] == ""


def test_feedback_pages_are_the_students_own_view(batch):
    results_dir = batch["out"] / "results"
    for student, data in batch["results"].items():
        feedback = (results_dir / f"{student}.html").read_text(encoding="utf-8")
        assert f"{data['score']:g} / {data['max_score']:g}" in feedback
        assert str(batch["subs"]) not in feedback  # the instructor's path is not on it
    bob = (results_dir / "bob.html").read_text(encoding="utf-8")
    assert html.escape(i18n.misconception("dropped_factor_2", "en")) in bob


def test_feedback_pages_follow_each_students_language_and_hide_hidden_checks(batch, tmp_path):
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    data = json.loads((batch["out"] / "results" / "bob.json").read_text())
    data["language"] = "zh"
    for check in (c for f in data["functions"] for c in f["checks"] if not c["passed"]):
        check.update(hidden=True, got="SECRET-GOT-VALUE", call="secret_call(1)")
    (results_dir / "bob.json").write_text(json.dumps(data))
    done = subprocess.run([sys.executable, "-m", "gradkit", "class", str(results_dir)],
                          capture_output=True, text=True, timeout=120, env=cli_env())
    assert done.returncode == 0, done.stderr
    feedback = (results_dir / "bob.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in feedback and i18n.text("hidden.failed", "zh") in feedback
    assert "SECRET-GOT-VALUE" not in feedback and "secret_call" not in feedback


def test_hostile_student_text_cannot_act_on_the_page():
    """A student's folder name and returned values reach the page only as inert text."""
    stats = ClassStats()
    evil = "<script>alert(1)</script>\x1b]0;title\x07"
    result = GradeResult.from_dict({"functions": [{
        "topic": TOPIC, "function": "linear_mse_grad", "max_score": 2.5, "checks": [{
            "name": "c", "outcome": "failed", "check": "manual_grad::c", "call": evil,
            "got": "\u202egot", "misconception": "dropped_factor_2"}]}],
        "flags": [{"kind": "frames", "detail": evil}]})
    stats.add(evil, result)
    text = page(stats, [], "en")
    assert "<script" not in text and "\x1b" not in text and "\u202e" not in text
    assert "&lt;script&gt;" in text
    flagged = _attrs(text, "student")  # flagged for review, under the (escaped) name
    assert list(flagged) == ["<script>alert(1)</script>"]


def test_the_page_speaks_the_teachers_language(batch):
    stats = read_class(results_files(batch["out"] / "results"), feedback=False)[0]
    zh = page(stats, None, "zh")
    assert 'lang="zh-CN"' in zh and i18n.text("class.title", "zh") in zh
    assert html.escape(i18n.misconception("dropped_factor_2", "zh")) in zh
    assert i18n.text("class.similar_not_checked", "zh") in zh  # no submissions folder given


def test_similarity_reads_zipped_submissions_in_memory(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(SUBMISSIONS / "oop", subs / "ann")
    _rename_locals(shutil.copytree(SUBMISSIONS / "oop", tmp_path / "ben"), "zip")
    with zipfile.ZipFile(subs / "ben.zip", "w") as zf:
        for file in (tmp_path / "ben").glob("*.py"):
            zf.write(file, f"deep/inside/{file.name}")  # found at any depth, as the grader does
    shutil.copytree(SUBMISSIONS / "loops", subs / "cat")
    (subs / "dan.zip").write_bytes(b"not a zip")  # unreadable: no code, no pair, no crash
    code = sources(subs, [TOPIC])
    assert set(code) == {"ann", "ben", "cat", "dan"} and code["dan"] == ""
    assert "def linear_mse_grad" in code["ben"] and not any(Path(tmp_path).rglob("deep"))
    assert [(p.a, p.b) for p in similar_pairs(code)] == [("ann", "ben")]


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed "
                    "(apt-get install chromium; .ci/run does it)")
def test_a_real_browser_shows_the_class_page(batch, tmp_path):
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1100,2400"]
    target = f"file://{batch['out'] / 'class.html'}"
    dom = subprocess.run(common + ["--dump-dom", target], capture_output=True, timeout=120,
                         check=True, text=True).stdout
    for section in ("distribution", "functions", "misconceptions", "checks", "similar", "flagged",
                    "isolation"):
        assert f'<section id="{section}">' in dom, section
    assert dom.count("<svg") >= 2 and "dropped_factor_2" in dom and "dave" in dom
    shot = tmp_path / "class.png"
    subprocess.run(common + [f"--screenshot={shot}", target], capture_output=True, timeout=120,
                   check=True)
    assert shot.stat().st_size > 20_000  # charts and tables, not a blank page
