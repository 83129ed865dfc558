"""Grading from a notebook cell: ``gradkit.check("manual_grad")``, ``gradkit.check_all()``,
``gradkit.export()``.

The functions the notebook defined are written as topic modules into a private
submission folder (``gradkit.cell_source``) and graded by a warm grader process with
the same sandbox and checks as `gradkit check` (``runner.grade``, run by
``batch_workers.GraderProcess``). The grader is a process of its own, never the
kernel: the kernel runs the student's code (a student's patch of torch there must not
reach the checks), and a grader forks its zygote right after importing torch, which a
kernel that already ran torch work cannot do safely. The first check starts it; later
checks in the same kernel reuse it, torch and the zygote loaded once.

The report shows in the notebook's language as HTML (the HTML report's sections, the
graph pictures inline as SVG) and as plain text where HTML is not shown (the terminal
report). Where checks could not all run here (the student bundle, which has no hidden
checks and withholds some references) it says "public checks passed", never "all
passed".
"""

from __future__ import annotations

import atexit
import dataclasses
import html
import io
import os
import re
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any, Mapping

from . import catalog, cell_source, i18n, inert
from .results import GradeResult

HIDDEN_CHECKS = Path(__file__).resolve().parent.parent / "checks" / "hidden"
NOTEBOOK_PATH_NAMES = ("__session__", "__vsc_ipynb_file__")  # Jupyter's and VS Code's
WRAPPER = "gradkit-report"

_language: str | None = None
_grader: Any = None
_lock = threading.Lock()


def use_language(lang: str) -> None:
    """Reports in ``lang`` ("en" or "zh") from now on in this kernel."""
    global _language
    if lang not in i18n.LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(i18n.LANGS)}")
    _language = lang


def _lang(lang: str | None) -> str:
    chosen = lang or _language or i18n.detect()
    if chosen not in i18n.LANGS:
        raise ValueError(f"unknown language {chosen!r}; choose one of {', '.join(i18n.LANGS)}")
    return chosen


def user_namespace() -> dict[str, Any]:
    """The running notebook's variables: IPython's user namespace, else ``__main__``'s."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython else None
    if shell is not None and isinstance(getattr(shell, "user_ns", None), dict):
        return shell.user_ns
    return vars(sys.modules["__main__"])


# -- the report ----------------------------------------------------------------------------

@dataclasses.dataclass
class Report:
    """What a check cell shows. ``result`` is None when nothing could be graded
    (``message`` says why). ``complete``: every check could run here (hidden checks
    included), so "all checks passed" may be said."""

    lang: str
    result: GradeResult | None = None
    message: str | None = None
    complete: bool = False

    @property
    def score(self) -> float:
        return self.result.score if self.result else 0.0

    @property
    def max_score(self) -> float:
        return self.result.max_score if self.result else 0.0

    @property
    def passed(self) -> bool:
        """No check of a shown function failed (some may not have run: see ``complete``)."""
        return bool(self.result and self.result.functions
                    and not any(f.failed for f in self.result.functions))

    def verdict(self) -> str | None:
        if not self.passed:
            return None
        return i18n.text("notebook.all_passed" if self.complete else "notebook.public_passed",
                         self.lang)

    def __repr__(self) -> str:
        if self.result is None:
            return self.message or ""
        from rich.console import Console

        from .reporters import terminal

        console = Console(record=True, width=100, force_terminal=False, color_system=None,
                          highlight=False, soft_wrap=True, file=io.StringIO())
        terminal.render(self.result, console=console)
        lines = [console.export_text().rstrip("\n")]
        lines += [line for line in (self.message, self.verdict()) if line]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        from .reporters import html_report

        e = html.escape
        parts = [f'<div class="{WRAPPER}" lang="{"zh-CN" if self.lang == "zh" else "en"}">',
                 f"<style>{scoped_css(html_report.CSS + NOTEBOOK_CSS, '.' + WRAPPER)}</style>"]
        if self.result is None:
            parts.append(f'<p class="note">{e(self.message or "")}</p></div>')
            return "".join(parts)
        result = self.result
        colour = "passed" if self.passed else "partial" if result.score else "failed"
        parts.append(f'<p class="total"><span class="badge {colour}">'
                     f'{e(i18n.text("report.total", self.lang))}: {result.score:g} / '
                     f'{result.max_score:g}</span> {e(self.verdict() or "")}</p>')
        if self.message:
            parts.append(f'<p class="note">{e(self.message)}</p>')
        for note in result.notes:
            parts.append(f'<p class="note">{e(i18n.text("report.note", self.lang))}: {e(note)}</p>')
        for name in dict.fromkeys(f.topic for f in result.functions):
            topic = catalog.topic(name)
            title = topic.title_zh if self.lang == "zh" else topic.title
            parts.append(f"<h2>{e(name)} — {e(title)}</h2>")
            # The HTML report's own section per function: the same verdict, counterexample,
            # named mistake, hint and pictures as report/index.html.
            parts += [html_report._function(fn, self.lang) for fn in result.functions
                      if fn.topic == name]
        level = ((result.environment or {}).get("isolation") or {}).get("level")
        if level:
            parts.append(f'<p class="note">{e(i18n.text("report.isolation", self.lang, level=level))}</p>')
        parts.append("</div>")
        return "\n".join(parts)


# In a notebook the report sits in a narrow output area: pictures keep their own size
# (scrolling sideways) rather than shrinking their labels below a readable size.
NOTEBOOK_CSS = """
figure{overflow-x:auto}figure svg{max-width:none}.curves figure svg{min-width:30rem}
"""


def scoped_css(css: str, scope: str) -> str:
    """``css`` with every rule limited to ``scope`` (``body``/``main`` become the scope
    itself), so a report in a notebook never restyles the notebook around it."""
    media = r"(@media[^{]+)\{((?:[^{}]*\{[^}]*\})*)\s*\}"
    out = [_scope_rules(re.sub(media, "", css), scope)]
    # after the plain rules, as in the page: a media rule must win over what it narrows
    out += [f"{query}{{{_scope_rules(block, scope)}}}" for query, block in re.findall(media, css)]
    return "".join(out)


def _scope_rules(css: str, scope: str) -> str:
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        scoped = []
        for sel in selectors.split(","):
            sel = sel.strip()
            scoped.append(scope if sel in ("body", "main", "html") else f"{scope} {sel}")
        rules.append(f"{','.join(scoped)}{{{body}}}")
    return "".join(rules)


# -- grading -------------------------------------------------------------------------------

def check(topic: str, function: str | None = None, *, lang: str | None = None,
          namespace: Mapping[str, Any] | None = None, timeout: float = 10.0) -> Report:
    """Grade ``topic`` (or only ``function`` of it) as the running notebook defines it."""
    lang = _lang(lang)
    if topic not in catalog.TOPIC_NAMES:
        return Report(lang, message=i18n.text("run.unknown_topic", lang, topics=topic,
                                              known=", ".join(catalog.TOPIC_NAMES)))
    if function is not None and function not in {f.name for f in catalog.topic(topic).functions}:
        names = ", ".join(f.name for f in catalog.topic(topic).functions)
        return Report(lang, message=i18n.text("notebook.not_in_topic", lang, function=function,
                                              topic=topic, functions=names))
    return _grade([topic], function, lang, namespace, timeout)


def check_all(*, lang: str | None = None, namespace: Mapping[str, Any] | None = None,
              timeout: float = 10.0) -> Report:
    """Grade every topic the notebook has started (defines at least one function of)."""
    lang = _lang(lang)
    ns = user_namespace() if namespace is None else namespace
    topics = [t for t in catalog.TOPIC_NAMES if cell_source.defined(ns, t)]
    if not topics:
        return Report(lang, message=i18n.text("notebook.nothing_defined", lang))
    return _grade(topics, None, lang, ns, timeout)


def _grade(topics: list[str], function: str | None, lang: str,
           namespace: Mapping[str, Any] | None, timeout: float) -> Report:
    ns = user_namespace() if namespace is None else namespace
    if function is not None and function not in cell_source.defined(ns, topics[0]):
        return Report(lang, message=i18n.text("notebook.not_defined", lang, function=function))
    if not any(cell_source.defined(ns, topic) for topic in topics):
        return Report(lang, message=i18n.text("notebook.nothing_defined", lang))
    with tempfile.TemporaryDirectory(prefix="gradkit-notebook-") as work:
        folder = Path(work) / "submission"
        try:
            write_modules(ns, topics, folder)
        except cell_source.SourceNotFound as exc:
            return Report(lang, message=i18n.text("notebook.no_source", lang, function=str(exc)))
        result, why = _run_grader(folder, topics, lang, timeout, Path(work),
                                  [function] if function is not None else None)
    if result is None:
        return Report(lang, message=i18n.text("notebook.grading_failed", lang, detail=why))
    # The scratch folder means nothing to the student: the report names the notebook.
    result = dataclasses.replace(result.public(i18n.text("hidden.failed", lang)),
                                 submission=i18n.text("notebook.this", lang))
    return Report(lang, result=result, complete=_complete(result))


def write_modules(namespace: Mapping[str, Any], topics: list[str], folder: Path) -> list[Path]:
    """``<topic>.py`` in ``folder`` for each of ``topics`` the namespace defines."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for topic in topics:
        source = cell_source.module_source(namespace, topic)
        if source is not None:
            path = folder / f"{topic}.py"
            path.write_text(source, encoding="utf-8")
            written.append(path)
    return written


def _complete(result: GradeResult) -> bool:
    """Could every check run here? Not in a kit without hidden checks (the student
    bundle), nor where a check was skipped for any reason but the missing GPU."""
    if not HIDDEN_CHECKS.is_dir() or any(f.provisional for f in result.functions):
        return False
    no_cuda = {i18n.text("note.no_cuda", each) for each in i18n.LANGS}
    return all(c.message in no_cuda for f in result.functions for c in f.checks if c.skipped)


def grader() -> Any:
    """This kernel's warm grader process (started on first use, again if it died)."""
    global _grader
    with _lock:
        if _grader is None:
            from .batch_workers import GraderProcess
            _grader = GraderProcess()
            atexit.register(_grader.stop)
        return _grader


def _run_grader(folder: Path, topics: list[str], lang: str, timeout: float, work: Path,
                functions: list[str] | None = None) -> tuple[GradeResult | None, str]:
    """``functions``: grade only these (runner.grade's selection: one function's checks
    run, not its topic's)."""
    out, log = work / "results.json", work / "grading.log"
    options = {"lang": lang, "topics": topics, "timeout": timeout, "pictures": True,
               "functions": functions}
    outcome = grader().grade(str(folder), str(out), str(log), options)
    if outcome == "graded":
        import json
        return GradeResult.from_dict(json.loads(out.read_text(encoding="utf-8"))), ""
    detail = ""
    for path in (log, out):
        try:
            detail = path.read_text(encoding="utf-8", errors="replace")[-2000:].strip()
        except OSError:
            continue
        if detail:
            break
    return None, inert.text(detail or outcome)


# -- export --------------------------------------------------------------------------------

def export(path: str | os.PathLike[str] = "submission.zip", *, notebook: str | None = None,
           namespace: Mapping[str, Any] | None = None) -> Path:
    """Write a submission zip: ``<topic>.py`` for every topic the notebook defines
    functions of (what `gradkit grade` and the LMS bundles grade, unchanged), plus the
    notebook file itself where one is on disk (``notebook``, else the one the front end
    names; Colab has none, and the zip is complete without it)."""
    ns = user_namespace() if namespace is None else namespace
    target = Path(path)
    with tempfile.TemporaryDirectory(prefix="gradkit-export-") as work:
        modules = write_modules(ns, list(catalog.TOPIC_NAMES), Path(work))
        if not modules:
            raise ValueError(i18n.text("notebook.nothing_defined", _lang(None)))
        found = notebook_file(ns, notebook)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for module in modules:
                zf.write(module, module.name)
            if found is not None:
                zf.write(found, found.name)
        os.replace(tmp, target)
    names = [m.name for m in modules] + ([found.name] if found is not None else [])
    print(i18n.text("notebook.exported", _lang(None), path=str(target), files=", ".join(names)))
    return target


def notebook_file(namespace: Mapping[str, Any], explicit: str | None = None) -> Path | None:
    """The notebook on disk: ``explicit``, else the path the front end gave the kernel
    (JupyterLab's ``__session__`` or ``JPY_SESSION_NAME``, VS Code's ``__vsc_ipynb_file__``;
    a path relative to the server's folder is looked for by its name in the kernel's)."""
    candidates = [explicit] + [namespace.get(n) for n in NOTEBOOK_PATH_NAMES] + [
        os.environ.get("JPY_SESSION_NAME")]
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.endswith(".ipynb"):
            continue
        for path in (Path(candidate), Path(Path(candidate).name)):
            if path.is_file():
                return path.resolve()
    return None

