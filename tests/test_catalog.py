"""The catalog, stubs, solutions and checks describe the same functions."""

import ast
import re

import pytest

from gradkit import catalog
from tests.kit import KIT, SOLUTIONS

EXERCISES = KIT / "exercises"  # the stubs in this tree (tests.kit's copy is the last commit's)

CJK = re.compile(r"[\u4e00-\u9fff]")


def _functions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


@pytest.mark.parametrize("topic", catalog.TOPICS, ids=lambda t: t.name)
def test_stubs_and_solutions_match_the_catalog_signatures(topic):
    for folder in (EXERCISES, SOLUTIONS):
        defs = _functions(folder / f"{topic.name}.py")
        for fn in topic.functions:
            assert fn.name in defs, f"{folder.name}/{topic.name}.py lacks {fn.name}"
            assert tuple(a.arg for a in defs[fn.name].args.args) == fn.params


@pytest.mark.parametrize("topic", catalog.TOPICS, ids=lambda t: t.name)
def test_stubs_teach_in_both_languages_and_hold_no_solution(topic):
    defs = _functions(EXERCISES / f"{topic.name}.py")
    for fn in topic.functions:
        node = defs[fn.name]
        doc = ast.get_docstring(node)
        assert doc and CJK.search(doc) and re.search(r"[A-Za-z]{4,} [a-z]{3,}", doc)
        assert "Worked example" in doc
        # Body: the docstring and one raise NotImplementedError("... not implemented yet").
        body = node.body[1:]
        assert len(body) == 1 and isinstance(body[0], ast.Raise)
        assert "not implemented yet" in ast.unparse(body[0])


def test_every_topic_has_a_check_module():
    for topic in catalog.TOPICS:
        source = (KIT / "checks" / f"{topic.name}.py").read_text(encoding="utf-8")
        for fn in topic.functions:
            assert f'"{fn.name}"' in source, f"no check mentions {topic.name}.{fn.name}"


def test_the_readme_states_the_catalogs_points():
    """The README's topic table says what the catalog says (points are never a literal
    anywhere else: tests and reports take totals from gradkit.catalog)."""
    readme = (KIT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` [^|]*\|[^|]*\| (\d+(?:\.\d+)?) \|$", readme, re.M))
    for topic in catalog.TOPICS:
        assert topic.name in rows, f"README.md's topic table lacks {topic.name}"
        assert float(rows[topic.name]) == catalog.total_points([topic.name]), topic.name
