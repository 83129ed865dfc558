"""The feedback a student sees: the HTML report (diagnoses and both graphs for every
graph function, curves for the loop, self-contained), in both languages, and how it
looks in a real headless browser."""

import re
import shutil
import subprocess

import pytest
from rich.console import Console

from checks.pictures import CURVES, GRAPH_PICTURES
from gradkit import catalog, i18n, render
from gradkit.reporters import html_report, terminal
from tests.kit import NOT_WRITTEN

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(graded, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    return {lang: html_report.write(graded[name], str(folder / lang))
            for lang, name in (("en", "mixed"), ("zh", "mixed-zh"))}


def _section(page: str, function: str) -> str:
    match = re.search(rf'<section class="fn" id="{function}">(.*?)</section>', page, re.S)
    assert match, function
    return match.group(1)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_failing_function_has_its_diagnosis(graded, report, lang):
    page = open(report[lang], encoding="utf-8").read()
    result = graded["mixed" if lang == "en" else "mixed-zh"]
    failing = [f for f in result.functions if f.failed]
    assert len(failing) >= 8
    for fn in failing:
        section = _section(page, fn.function)
        if fn.function == NOT_WRITTEN[1]:
            assert "not implemented yet" in section
            continue
        mid = next(c.misconception for c in fn.failed if c.misconception)
        assert 'class="why"' in section and i18n.misconception(mid, lang)[:20] in section


@pytest.mark.parametrize("function", sorted(GRAPH_PICTURES))
def test_every_graph_function_shows_both_graphs(graded, report, function):
    section = _section(open(report["en"], encoding="utf-8").read(), function)
    fn = next(f for f in graded["mixed"].functions if f.function == function)
    for who in ("student", "reference"):
        figure = re.search(rf'<figure class="{who}">(.*?)</figure>', section, re.S)
        assert figure, (function, who)
        drawn = fn.pictures["graphs"][who]
        if drawn["nodes"]:
            assert ("<svg" in figure.group(1)) == render.dot_available(), (function, who)
        else:  # predict: inference records no graph, and the picture says so
            assert i18n.text("report.no_graph", "en") in figure.group(1)


def test_the_training_loops_plot_their_curves(graded, report):
    page = open(report["en"], encoding="utf-8").read()
    for function in CURVES:
        assert 'class="pair curves"' in _section(page, function)
    curves = graded["mixed"].function("gd_loop", "gradient_descent").pictures["curves"]
    assert curves["parted_at"] == 1  # the losses are recorded one step late
    assert "<circle" in _section(page, "gradient_descent")


def test_the_page_needs_no_network(report):
    for path in report.values():
        page = open(path, encoding="utf-8").read()
        external = re.findall(r'(?:src|href)\s*=\s*["\']?(?:https?:)?//', page)
        assert external == [] and "<script" not in page and "<link" not in page
        assert 'name="viewport"' in page


def test_the_terminal_shows_the_diagnosis_and_the_graph_as_text(graded):
    console = Console(record=True, width=120, force_terminal=False)
    terminal.render(graded["mixed"], console=console)
    out = console.export_text()
    assert "likely mistake: The nodes are listed depth-first" in out
    assert "your graph:" in out and "AccumulateGrad →" in out
    assert "stuck? gradkit hint grad_fn_names" in out


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed "
                    "(apt-get install chromium; .ci/run does it)")
@pytest.mark.parametrize("width", [400, 1280])
def test_a_real_browser_renders_the_report(report, tmp_path, width):
    shot = tmp_path / f"report-{width}.png"
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              f"--window-size={width},2000"]
    subprocess.run(common + [f"--screenshot={shot}", f"file://{report['zh']}"],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000  # a page with text and pictures, not a blank one
    dom = subprocess.run(common + ["--dump-dom", f"file://{report['zh']}"],
                         capture_output=True, timeout=120, check=True, text=True).stdout
    assert dom.count('<section class="fn"') == len(catalog.all_functions()) and "可能的错误" in dom
