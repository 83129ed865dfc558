"""The notebooks, one per topic in English and 中文, generated from the stubs.

``python -m gradkit.notebooks --out notebooks/`` (``make notebooks``) writes
``notebooks/en/NN_<topic>.ipynb`` and ``notebooks/zh/NN_<topic>.ipynb`` from
``exercises/<topic>.py``: its docstring as the topic's introduction, then for each
function its contract and worked example as markdown, the stub as a code cell, and
a check cell (``gradkit.check("topic", "function")``). Generated, never edited by
hand, so a notebook cannot drift from its stub; ``tests/test_notebooks.py`` fails
when the committed notebooks differ from what this writes. nbformat (the format's
reference library, pinned in the ``notebook`` extra) builds and validates them.

The stubs' docstrings are bilingual paragraph by paragraph: a paragraph that is
mostly Chinese goes to the 中文 notebook, one that is mostly English to the
English notebook, and a worked example (``Worked example / 例子``, doctest lines)
to both.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import sys
from pathlib import Path
from typing import Any

from . import catalog, i18n

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
# "Worked example / 例子:", "detach stops the walk / detach 截断:": an English label, then its
# translation; the paragraph under it is for both notebooks.
BILINGUAL_LABEL = re.compile(r"^[A-Za-z][A-Za-z ,'()]* / [^\n]*[\u4e00-\u9fff]")


def paragraph_language(paragraph: str) -> str:
    """"en", "zh" or "both" (a worked example, or a label given in both languages)."""
    if ">>>" in paragraph or BILINGUAL_LABEL.match(paragraph):
        return "both"
    return "zh" if 2 * len(CJK.findall(paragraph)) >= len(LATIN.findall(paragraph)) else "en"


def paragraphs(docstring: str, lang: str) -> list[str]:
    """The docstring's paragraphs for ``lang``, without the "Check your work" line (the
    notebook's check cells replace it)."""
    found = []
    for para in re.split(r"\n\s*\n", inspect.cleandoc(docstring)):
        if not para.strip() or para.lstrip().startswith("Check your work"):
            continue
        if paragraph_language(para) in (lang, "both"):
            found.append(para)
    return found


def markdown(paragraph: str) -> str:
    """A docstring paragraph as Markdown: ``code`` as `code`, doctest lines (and the
    output after them) as a Python block."""
    lines = paragraph.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")), None)
    prose = "\n".join(lines if start is None else lines[:start])
    prose = re.sub(r"``(.+?)``", r"`\1`", prose)
    # A line break inside Chinese text would show as a space: join those lines. A label
    # line ("Worked example / 例子:") keeps its break.
    prose = re.sub(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\n(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])",
                   "", prose)
    prose = re.sub(r":\n", ":  \n", prose)
    if start is None:
        return prose
    code = "\n".join(lines[start:])
    return (prose + "\n\n" if prose.strip() else "") + f"```python\n{code}\n```"


def title(module_doc: str, lang: str) -> str:
    """The first line, "计算图与叶子节点 · The computation graph ...", in one language."""
    first = inspect.cleandoc(module_doc).splitlines()[0]
    halves = [h.strip() for h in first.split(" · ")]
    if len(halves) != 2:
        return first
    zh, en = sorted(halves, key=lambda h: -len(CJK.findall(h)))
    return zh if lang == "zh" else en.rstrip(".")


def stub_code(source: str, node: ast.FunctionDef) -> str:
    """The function's stub as written, without its docstring."""
    lines = source.splitlines()
    body = node.body
    doc = body[0] if body and ast.get_docstring(node) is not None else None
    keep = lines[node.lineno - 1:node.end_lineno]
    if doc is not None:
        first, last = doc.lineno - node.lineno, doc.end_lineno - node.lineno  # type: ignore[operator]
        keep = keep[:first] + keep[last + 1:]
    return "\n".join(keep)


def build(topic: str, lang: str, number: int) -> Any:
    """The notebook of ``topic`` in ``lang`` (an nbformat NotebookNode)."""
    import nbformat
    from nbformat import v4

    source = (EXERCISES / f"{topic}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    module_doc = ast.get_docstring(tree, clean=False) or topic
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    entry = catalog.topic(topic)
    cells: list[Any] = []

    def md(text: str) -> None:
        cells.append(v4.new_markdown_cell(text, id=f"{topic}-{len(cells)}"))

    def code(text: str) -> None:
        cells.append(v4.new_code_cell(text, id=f"{topic}-{len(cells)}"))

    intro = [f"# {number}. {title(module_doc, lang)} (`{topic}`)"]
    body = inspect.cleandoc(module_doc).split("\n", 1)[1] if "\n" in module_doc.strip() else ""
    intro += [markdown(p) for p in paragraphs(body, lang)]
    intro += [i18n.text("notebook.how", lang),
              "*" + i18n.text("notebook.generated", lang, topic=topic) + "*"]
    md("\n\n".join(intro))
    code("\n".join(imports + ["import gradkit", "", f'gradkit.use_language("{lang}")']))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for fn in entry.functions:
        node = functions[fn.name]
        points = i18n.text("notebook.points", lang, points=f"{fn.points:g}")
        head = f"## `{fn.name}({', '.join(fn.params)})` — {points}"
        doc = ast.get_docstring(node) or ""
        text = [head] + [markdown(p) for p in paragraphs(doc, lang)]
        if lang != "en":  # the contract's exact English wording too, folded away
            english = "\n\n".join(markdown(p) for p in paragraphs(doc, "en")
                                  if paragraph_language(p) == "en")
            text.append(f"<details><summary>English</summary>\n\n{english}\n\n</details>")
        md("\n\n".join(text))
        code(stub_code(source, node))
        code(f'gradkit.check("{topic}", "{fn.name}")')
    md(i18n.text("notebook.whole_topic", lang))
    code(f'gradkit.check("{topic}")')
    md(i18n.text("notebook.submit", lang))
    code("gradkit.export()")
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return notebook


def render(topic: str, lang: str, number: int) -> str:
    import nbformat
    return nbformat.writes(build(topic, lang, number)) + "\n"


def paths(out: Path) -> dict[Path, tuple[str, str, int]]:
    """Every notebook's path under ``out`` -> (topic, language, its number in the course)."""
    return {out / lang / f"{n:02d}_{topic}.ipynb": (topic, lang, n)
            for lang in i18n.LANGS for n, topic in enumerate(catalog.TOPIC_NAMES, start=1)}


def write_all(out: Path) -> list[Path]:
    written = []
    for path, (topic, lang, number) in paths(out).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(topic, lang, number), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradkit.notebooks",
                                     description="Write the topic notebooks from exercises/.")
    parser.add_argument("--out", default="notebooks", help="folder to write (default: notebooks)")
    args = parser.parse_args(argv)
    written = write_all(Path(args.out))
    print(f"wrote {len(written)} notebooks under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
