"""The notebook route: the topic notebooks are generated from the stubs and up to date;
`gradkit.check` in a cell grades the kernel's functions with the same checks as
`gradkit check`, shows the report inline (HTML with the graph as SVG, plain text
elsewhere) and never says "all passed" where checks are withheld; a notebook with no
file on disk (Colab) works; `gradkit.export()` writes a zip that grades like files."""

import ast
import json
import re
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

from gradkit import catalog, cell_source, i18n, notebook, notebooks
from tests.kit import EXERCISES, KIT, MUTANTS, SOLUTIONS, cli_env, grade_in_one_fresh_process

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOKS = KIT / "notebooks"
TOPIC = "retain_graph"  # the fastest topic to grade: the notebooks run headless on it


def _fake_main(source: str, history: bool = True) -> dict:
    """A kernel's namespace as Colab leaves it with no notebook file: the functions run
    with exec (no file behind them for inspect), and the cells kept in ``In``."""
    module = types.ModuleType("__main__")
    exec(compile(source, "<ipython-input-1>", "exec"), module.__dict__)
    if history:
        module.__dict__["In"] = ["", source]
    return module.__dict__


def _mutated(topic: str, mutant: str) -> str:
    return ((SOLUTIONS / f"{topic}.py").read_text(encoding="utf-8") + "\n\n"
            + (MUTANTS / topic / f"{mutant}.py").read_text(encoding="utf-8"))


# -- the notebooks are generated from the stubs --------------------------------------------

def test_the_committed_notebooks_are_what_the_stubs_generate():
    expected = notebooks.paths(NOTEBOOKS)
    assert set(NOTEBOOKS.rglob("*.ipynb")) == set(expected), "run `make notebooks`"
    for path, (topic, lang, number) in expected.items():
        assert path.read_text(encoding="utf-8") == notebooks.render(topic, lang, number), (
            f"{path.relative_to(KIT)} is out of date with exercises/{topic}.py: run `make notebooks`")


def test_each_function_has_its_stub_then_its_check_cell_in_both_languages():
    chinese = {}
    for lang in i18n.LANGS:
        for number, topic in enumerate(catalog.TOPIC_NAMES, start=1):
            cells = json.loads((NOTEBOOKS / lang / f"{number:02d}_{topic}.ipynb").read_text())["cells"]
            code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
            prose = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
            assert f'gradkit.use_language("{lang}")' in code[0]
            for fn in catalog.topic(topic).functions:
                stub = next(i for i, s in enumerate(code) if s.startswith(f"def {fn.name}("))
                assert code[stub + 1] == f'gradkit.check("{topic}", "{fn.name}")'
                namespace: dict = {}
                exec(code[stub], namespace)  # the stub as the student gets it: it raises
                with pytest.raises(NotImplementedError, match="not implemented yet"):
                    namespace[fn.name](*[None] * len(fn.params))
                assert f"`{fn.name}({', '.join(fn.params)})`" in prose
            assert f'gradkit.check("{topic}")' in code and "gradkit.export()" in code
            chinese[lang, topic] = len(re.findall(r"[\u4e00-\u9fff]", prose))
    for topic in catalog.TOPIC_NAMES:  # each teaches in its language: the Chinese paragraphs
        assert chinese["zh", topic] > 3 * chinese["en", topic], topic  # only in 中文


def test_a_changed_stub_changes_its_notebook(tmp_path, monkeypatch):
    stubs = shutil.copytree(KIT / "exercises", tmp_path / "exercises")
    path = stubs / f"{TOPIC}.py"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Worked example", "Worked example (edited)", 1), encoding="utf-8")
    monkeypatch.setattr(notebooks, "EXERCISES", stubs)
    fresh = notebooks.render(TOPIC, "en", 3)
    assert "Worked example (edited)" in fresh
    assert fresh != (NOTEBOOKS / "en" / f"03_{TOPIC}.ipynb").read_text(encoding="utf-8")


# -- sources from the kernel ----------------------------------------------------------------

def test_a_notebook_without_a_file_is_written_out_from_its_cell_history():
    source = ("import torch as T\nfrom math import sqrt\nSCALE = 2.0\n\n"
              "def _twice(v):\n    return SCALE * _half(v) * 2\n\n_half = lambda v: v / 2\n\n"
              "def stop_gradient_grads(a, b):\n"
              "    loss = ((a - b.detach()) ** 2).mean()\n    loss.backward()\n"
              "    return a.grad, b.grad\n\n"
              "def predict(w, b, x):\n    with T.no_grad():\n        return _twice(w * x + b) / sqrt(4.0)\n")
    namespace = _fake_main(source)
    with pytest.raises((OSError, TypeError)):  # no file: inspect cannot help, the history can
        __import__("inspect").getsource(namespace["predict"])
    module = cell_source.module_source(namespace, "detach")
    assert "import torch as T" in module and "from math import sqrt" in module
    assert "SCALE = 2.0" in module and "def _twice(v):" in module and "_half = lambda v" in module
    written: dict = {}
    exec(compile(module, "detach.py", "exec"), written)  # it stands alone, as a file
    import torch
    w, b, x = torch.tensor(2.0, requires_grad=True), torch.tensor(1.0), torch.tensor([1.0, 2.0])
    assert torch.equal(written["predict"](w, b, x), namespace["predict"](w, b, x))
    assert cell_source.defined(namespace, "detach") == ["stop_gradient_grads", "predict"]
    assert cell_source.module_source(namespace, "manual_grad") is None


def test_a_function_with_no_source_anywhere_is_said_plainly_not_raised():
    namespace = _fake_main("def backward_twice(z, x):\n    return None\n", history=False)
    report = notebook.check(TOPIC, "backward_twice", namespace=namespace, lang="en")
    assert report.result is None and "cannot find the source of backward_twice" in repr(report)
    undefined = notebook.check(TOPIC, "second_derivative", namespace=namespace, lang="zh")
    assert "还没有定义 second_derivative" in repr(undefined) and "<style>" in undefined._repr_html_()
    assert "has no function named nope" in repr(notebook.check(TOPIC, "nope", namespace={}, lang="en"))
    assert "defines none of the exercise functions" in repr(notebook.check("detach", namespace=namespace,
                                                                           lang="en"))
    assert "defines none" in repr(notebook.check_all(namespace={"In": []}, lang="en"))


def test_colab_style_grading_gives_full_marks_and_the_warm_grader_is_reused():
    namespace = _fake_main((SOLUTIONS / f"{TOPIC}.py").read_text(encoding="utf-8"))
    first = notebook.check(TOPIC, namespace=namespace, lang="en")
    process = notebook.grader().proc
    assert first.score == first.max_score == sum(f.points for f in catalog.topic(TOPIC).functions)
    text = repr(first)
    assert "all checks passed" in text and "the functions defined in this notebook" in text
    assert "gradkit-notebook-" not in text  # the scratch folder is not the student's business
    one = notebook.check(TOPIC, "second_derivative", namespace=namespace, lang="en")
    assert notebook.grader().proc is process and process.poll() is None  # warm: same process
    assert [f.function for f in one.result.functions] == ["second_derivative"]
    # only its checks ran (runner.grade's selection), and the result says it is partial
    assert one.result.environment["partial"] == {"functions": [f"{TOPIC}.second_derivative"]}
    assert "partial grading" in repr(one)


def test_withheld_checks_never_read_all_passed(monkeypatch, tmp_path):
    """The student bundle has no hidden checks: full marks there are "public checks passed"."""
    namespace = _fake_main((SOLUTIONS / f"{TOPIC}.py").read_text(encoding="utf-8"))
    monkeypatch.setattr(notebook, "HIDDEN_CHECKS", tmp_path / "absent")
    report = notebook.check(TOPIC, "backward_twice", namespace=namespace, lang="en")
    assert report.passed and "public checks passed" in repr(report)
    assert "all checks passed" not in repr(report) + report._repr_html_()
    # and a skipped check (a withheld reference) is not a pass of everything either
    skipped = report.result.functions[0].checks[0]
    monkeypatch.setattr(notebook, "HIDDEN_CHECKS", KIT / "checks" / "hidden")
    assert notebook._complete(report.result)
    skipped.outcome, skipped.message = "skipped", i18n.text("check.withheld", "en", function="x")
    assert not notebook._complete(report.result)


# -- export ---------------------------------------------------------------------------------

def _export(namespace: dict, path: Path, **kw) -> set:
    notebook.export(path, namespace=namespace, **kw)
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


def test_the_export_zip_grades_exactly_like_the_same_code_as_files(tmp_path):
    code = {TOPIC: _mutated(TOPIC, "twice_single_backward"), "detach": _mutated("detach", "round_plain")}
    namespace = _fake_main("\n\n".join(code.values()))
    assert _export(namespace, tmp_path / "submission.zip") == {f"{TOPIC}.py", "detach.py"}
    unzipped = tmp_path / "unzipped"
    zipfile.ZipFile(tmp_path / "submission.zip").extractall(unzipped)
    files = tmp_path / "files"
    files.mkdir()
    for topic, source in code.items():
        (files / f"{topic}.py").write_text(source, encoding="utf-8")
    for folder in (unzipped, files):
        folder.chmod(0o755)
        for f in folder.iterdir():
            f.chmod(0o644)
    from_zip, from_files = grade_in_one_fresh_process([unzipped, files], [TOPIC, "detach"])

    def outcome(result):
        return [(f.function, f.score, [(c.name, c.outcome, c.message, c.misconception)
                                       for c in f.checks]) for f in result.functions]
    assert outcome(from_zip) == outcome(from_files)
    assert 0 < from_zip.score < from_zip.max_score  # the two mistakes cost points


def test_export_takes_the_notebook_file_when_there_is_one_and_the_cli_grades_it(tmp_path):
    namespace = _fake_main((SOLUTIONS / f"{TOPIC}.py").read_text(encoding="utf-8"))
    saved = tmp_path / "03_retain_graph.ipynb"
    shutil.copy(NOTEBOOKS / "en" / f"03_{TOPIC}.ipynb", saved)
    namespace["__vsc_ipynb_file__"] = str(saved)  # VS Code names the open notebook so
    assert _export(namespace, tmp_path / "out" / "s.zip") == {f"{TOPIC}.py", saved.name}
    folder = tmp_path / "graded"
    zipfile.ZipFile(tmp_path / "out" / "s.zip").extractall(folder)
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(folder), "--topics", TOPIC,
                           "--json", str(tmp_path / "r.json")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, env=cli_env())
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == data["max_score"] > 0
    with pytest.raises(ValueError, match="defines none of the exercise functions"):
        notebook.export(tmp_path / "empty.zip", namespace={"In": ["x = 1"]})


# -- real notebooks, run headless in a real kernel ------------------------------------------

def _execute(path: Path, cwd: Path, replace: dict[str, str] | None = None):
    nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed")
    nbclient = pytest.importorskip("nbclient", reason="the notebook extra is not installed")
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        name = re.match(r"def (\w+)\(", cell.source) if cell.cell_type == "code" else None
        if name and replace and name.group(1) in replace:
            cell.source = replace[name.group(1)]
    nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}}).execute()
    return book


def _solution_cells(topic: str) -> dict[str, str]:
    source = (SOLUTIONS / f"{topic}.py").read_text(encoding="utf-8")
    return {node.name: ast.get_source_segment(source, node) for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef)}


def _check_outputs(book) -> list[tuple[str, dict]]:
    """(the check cell's code, its rich output) for every check cell."""
    found = []
    for cell in book.cells:
        if cell.cell_type == "code" and cell.source.startswith("gradkit.check("):
            shown = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
            assert len(shown) == 1, (cell.source, cell.outputs)
            found.append((cell.source, shown[0]["data"]))
    return found


def test_the_notebook_with_the_solutions_pasted_in_shows_full_marks_inline(tmp_path):
    book = _execute(NOTEBOOKS / "en" / f"03_{TOPIC}.ipynb", tmp_path, _solution_cells(TOPIC))
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert errors == []
    outputs = _check_outputs(book)
    assert len(outputs) == len(catalog.topic(TOPIC).functions) + 1
    for source, data in outputs:
        total = re.search(r"Total: ([\d.]+) / ([\d.]+)", data["text/plain"])
        assert total and total.group(1) == total.group(2) != "0", (source, data["text/plain"])
        assert "all checks passed" in data["text/plain"] and 'class="gradkit-report"' in data["text/html"]
    assert (tmp_path / "submission.zip").is_file()  # the export cell ran in the notebook's folder


def test_the_stub_notebook_in_chinese_scores_zero_with_no_traceback(tmp_path):
    book = _execute(NOTEBOOKS / "zh" / f"03_{TOPIC}.ipynb", tmp_path)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert all(o.get("output_type") != "error" for o in cell.outputs), cell.source
            assert not any("Traceback" in json.dumps(o) for o in cell.outputs), cell.source
    for source, data in _check_outputs(book):
        assert re.search(r"总分: 0 / [1-9]", data["text/plain"]), (source, data["text/plain"])
        assert "not implemented yet" in data["text/html"] and "全部检查通过" not in data["text/plain"]


# -- the inline report in a real browser ----------------------------------------------------

@pytest.fixture(scope="module")
def inline_page(tmp_path_factory):
    """The report a check cell shows for a depth-first grad_fn_names, inside a page as
    wide as a notebook's output area at a 1280 px window."""
    namespace = _fake_main(_mutated("graph_leaves", "names_depth_first"))
    report = notebook.check("graph_leaves", "grad_fn_names", namespace=namespace, lang="en")
    assert report.result is not None and not report.passed
    page = tmp_path_factory.mktemp("inline") / "cell.html"
    page.write_text('<!doctype html><html><head><meta charset="utf-8"></head>'
                    '<body style="margin:0;font-family:sans-serif">'
                    '<div style="max-width:1100px;margin:0 auto;padding:8px 8px 8px 90px">'
                    f"{report._repr_html_()}</div></body></html>", encoding="utf-8")
    return page


SMALLEST_TEXT = """() => Math.min(...[...document.querySelectorAll('.gradkit-report svg text')]
    .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"""


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_the_inline_svg_is_readable_at_1280_px_in_chromium(inline_page, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    assert render_available(), "graphviz's dot is needed for the picture"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(inline_page.as_uri())
            assert tab.locator(".gradkit-report figure svg").count() >= 2  # yours and torch's
            assert tab.evaluate(SMALLEST_TEXT) >= 12
            assert "likely mistake" in tab.inner_text(".gradkit-report")
            tab.screenshot(path=str(tmp_path / "notebook-report.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "notebook-report.png").stat().st_size > 20_000


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_the_inline_report_measured_by_chromium_on_the_command_line(inline_page, tmp_path):
    """The same measure without playwright: a script in the page writes the smallest SVG
    text size into the DOM, and chromium's --dump-dom prints it."""
    measured = tmp_path / "measured.html"
    measured.write_text(inline_page.read_text(encoding="utf-8").replace(
        "</body>", f"<script>addEventListener('load', () => document.body.dataset.smallest = "
                   f"({SMALLEST_TEXT})())</script></body>"), encoding="utf-8")
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update",
                          "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                          "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom",
                          measured.as_uri()], capture_output=True, text=True, timeout=120).stdout
    smallest = re.search(r'data-smallest="([\d.]+)"', dom)
    assert smallest, dom[-2000:]
    assert float(smallest.group(1)) >= 12 and dom.count("<svg") >= 2


def render_available() -> bool:
    from gradkit import render
    return render.dot_available()


# -- the terminal route: `gradkit list` per function, `--watch` shows what changed ---------

def _result(states: dict[str, str]):
    """A retain_graph result: per function "passed", "failed" or "stub"."""
    from gradkit.results import CheckResult, FunctionResult, GradeResult

    functions = []
    for fn in catalog.topic(TOPIC).functions:
        state = states[fn.name]
        checks = [CheckResult(f"{fn.name}_{i}", "passed" if state == "passed" or (state == "failed" and i)
                              else "failed", error_kind="not_implemented" if state == "stub" else None)
                  for i in range(2)]
        functions.append(FunctionResult(TOPIC, fn.name, fn.points, checks))
    return GradeResult("work", functions, language="en")


def test_list_marks_each_function_from_the_last_check(tmp_path, monkeypatch):
    from gradkit import progress
    monkeypatch.chdir(tmp_path)
    progress.save_scores(_result({"backward_twice": "passed", "two_losses_grads": "failed",
                                  "second_derivative": "stub"}), "work")
    out = subprocess.run([sys.executable, "-m", "gradkit", "list", "--target", "work"],
                         capture_output=True, text=True, cwd=tmp_path, env=cli_env(), timeout=120).stdout
    lines = {line.split("(")[0].strip(): line for line in out.splitlines() if line.startswith("  ")}
    assert lines["✓ backward_twice"].endswith("1/1  passed")
    assert lines["✗ two_losses_grads"].endswith("/2  not yet") and "2/2" not in lines["✗ two_losses_grads"]
    assert lines["second_derivative"].endswith("2  not started")
    assert "    linear_mse_grad(x, y, w, b)  2" in out  # a topic never checked: as before


def test_list_in_chinese_after_a_stub_only_check(tmp_path, monkeypatch, capsys):
    from gradkit import cli, progress
    monkeypatch.chdir(tmp_path)
    stubs = {fn.name: "stub" for fn in catalog.topic(TOPIC).functions}
    progress.save_scores(_result(stubs), "work")
    assert cli.main(["list", "--target", "work", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert out.count("未开始") == len(stubs) + 1  # each function, and the topic
    assert "✓" not in out and "✗" not in out


def test_watch_reprints_only_the_saved_topic(capsys):
    from gradkit import i18n, rerun
    from gradkit.results import GradeResult
    i18n.set_language("en")
    other = _result({fn.name: "passed" for fn in catalog.topic(TOPIC).functions})
    detach = GradeResult("work", [dataclasses_replace(f, topic="detach") for f in other.functions])
    merged = GradeResult("work", other.functions + detach.functions, language="en")
    rerun.report(merged, ["detach"], target="work")
    out = capsys.readouterr().out
    assert "\ndetach — " in out and f"\n{TOPIC} — " not in out
    assert f"unchanged since the last grading: {TOPIC} 5/5" in out
    assert out.rstrip().endswith(f"all watched topics: {merged.score:g} / {merged.max_score:g}")


def dataclasses_replace(obj, **changes):
    import dataclasses
    return dataclasses.replace(obj, **changes)


# -- the student bundle reads as a course -------------------------------------------------

INSTRUCTOR_ONLY = ("solutions/", "hidden check", "autograder", "Gradescope", "PrairieLearn",
                   "grade-batch", "make test", "mutant", "--reveal-hidden", "make student")


@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory):
    from gradkit import bundle
    folder = tmp_path_factory.mktemp("bundle")
    with zipfile.ZipFile(bundle.student(folder / "student.zip", answers={})) as zf:
        zf.extractall(folder)
    return folder / "gradkit-student"


def test_the_student_bundle_has_the_students_readme_and_the_notebooks(student_bundle):
    readme = (student_bundle / "README.md").read_text(encoding="utf-8")
    assert readme == (KIT / "docs" / "student" / "README.md").read_text(encoding="utf-8")
    assert {p.relative_to(student_bundle) for p in student_bundle.rglob("*.ipynb")} == {
        p.relative_to(KIT) for p in notebooks.paths(NOTEBOOKS)}
    for words in INSTRUCTOR_ONLY:
        assert words.lower() not in readme.lower(), words
    headings = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
                for h in re.findall(r"^#+ (.+)$", readme, re.M)}
    for target in re.findall(r"\]\(([^)]+)\)", readme):  # no dead link
        assert target.startswith("#") and target[1:] in headings or (student_bundle / target).exists(), target
    for folder in re.findall(r"`((?:exercises|notebooks/en|notebooks/zh|gradkit|checks)/)`", readme):
        assert (student_bundle / folder).is_dir(), folder
    make_targets = set(re.findall(r"^([a-z]+):", (student_bundle / "Makefile").read_text(), re.M))
    assert set(re.findall(r"`make (\w+)`", readme)) <= make_targets


def test_make_checks_first_run_says_what_it_sets_up(student_bundle):
    plan = subprocess.run(["make", "-n", "check", f"PYTHON={sys.executable}"], cwd=student_bundle,
                          capture_output=True, text=True, timeout=60).stdout
    assert "setting up .venv (first run only" in plan and "正在创建 .venv" in plan
    assert "--index-url" in plan and "torch's CPU build" in plan  # unless pip has its own index


def test_a_failing_check_explains_its_exit_status(tmp_path):
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    shutil.copy(EXERCISES / f"{TOPIC}.py", stubs)
    for lang, words in (("en", "That is the report above, not a crash"), ("zh", "不是程序崩溃")):
        done = subprocess.run([sys.executable, "-m", "gradkit", "check", TOPIC, "--target", str(stubs)],
                              capture_output=True, text=True, cwd=tmp_path, env=cli_env(lang), timeout=300)
        assert done.returncode == 1 and words in done.stdout.splitlines()[-1], done.stdout[-1500:]


FAKE_PYTHON = """#!/bin/sh
if [ "$3" = config ]; then [ -n "$FAKE_PIP_INDEX" ] && echo "global.index-url='somewhere'"; exit 0; fi
echo "pip: $*"
"""


@pytest.mark.parametrize("pip_has_an_index", [False, True])
def test_the_first_setup_takes_torchs_cpu_build_unless_pip_has_its_own_index(tmp_path, pip_has_an_index):
    """The set-up recipe run for real, with a stand-in for the venv's Python that prints
    what pip would be asked (nothing is downloaded)."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(KIT / name, tmp_path)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("MAKE", "GRADKIT_TORCH"))}
    env.update({"FAKE_PIP_INDEX": "1"} if pip_has_an_index else {})
    out = subprocess.run(["make", "setup", "PYTHON=true"], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=60).stdout
    torch_pin = re.search(r'"(torch==[^"]+)"', (KIT / "pyproject.toml").read_text()).group(1)
    cpu_line = [line for line in out.splitlines() if line.startswith("pip: ") and "--index-url" in line]
    assert bool(cpu_line) != pip_has_an_index, out
    if cpu_line:
        assert cpu_line[0].endswith(f"/whl/cpu {torch_pin}")
    assert "pip: -m pip install --quiet --disable-pip-version-check -e ." in out
    assert out.splitlines()[0].startswith("gradkit: setting up .venv") and ".venv is ready" in out


def test_the_inline_style_never_restyles_the_notebook_around_it():
    from gradkit.reporters import html_report
    css = notebook.scoped_css(html_report.CSS + notebook.NOTEBOOK_CSS, ".gradkit-report")
    plain, _, media = css.partition("@media")
    assert media and "{" in media  # the phone layout survives, after the rules it narrows
    for selectors in re.findall(r"([^{}]+)\{[^{}]*\}", plain + media.split("{", 1)[1]):
        for selector in selectors.split(","):
            assert selector.strip().startswith(".gradkit-report"), selector
    assert not re.search(r"(^|[},])\s*(body|main|html)\b", css)


def test_import_gradkit_stays_cheap():
    """A notebook's first cell imports gradkit: no torch until a check runs."""
    probe = ("import sys, gradkit\n"
             "names = (gradkit.check, gradkit.check_all, gradkit.export, gradkit.use_language)\n"
             "print(sorted(m for m in ('torch', 'pytest', 'hypothesis') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env(),
                          timeout=60, cwd=KIT)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
    with pytest.raises(AttributeError):
        __import__("gradkit").no_such_thing
