"""Guard rails for authors: everything a catalogued function needs, checked when the kit's
tests are collected, before any grading runs. A missing piece stops `make test` at
collection with a message that says what to add, and where (docs/authoring.md has the
steps). The checks here read files and import checks/; they grade nothing.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from gradkit import catalog, i18n

KIT = Path(__file__).resolve().parent.parent
DIAGNOSES = {"matches", "scaled", "when", "raised", "transposed", "Diagnosis",
             "known_misconception"}


def _defined(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _constants(path: Path) -> dict[str, object]:
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Constant)):
            found[node.targets[0].id] = node.value.value
    return found


def _marks(obj) -> list:
    marks = getattr(obj, "pytestmark", [])
    return marks if isinstance(marks, list) else [marks]


def _graded_by(module) -> tuple[set[str], set[str]]:
    """(functions with a check of their own, functions the shared rule checks cover) in a
    check module: a test's ``grades`` marker, and the ``function`` parametrization of
    the shared checks (checks/contract.py's per_function)."""
    own, shared = set(), set()
    for name, obj in vars(module).items():
        if not name.startswith("test_") or not callable(obj):
            continue
        for mark in _marks(obj):
            if mark.name == "grades" and len(mark.args) >= 2:
                own.add(mark.args[1])
            if mark.name == "parametrize" and mark.args and mark.args[0] == "function":
                for param in mark.args[1]:
                    values = getattr(param, "values", (param,))
                    shared.update(v for v in values if isinstance(v, str))
    return own, shared


def _covered_by_untouched(module) -> set[str]:
    check = getattr(module, "test_inputs_untouched", None)
    return _graded_by(type("M", (), {"test_inputs_untouched": check}))[1] if check else set()


def _misconceptions_in_checks(kit: Path = KIT) -> list[tuple[str, int, str]]:
    """(file, line, id) for every misconception id written in checks/: a diagnosis's first
    argument, a ``misconception=`` keyword, a rule check's last argument."""
    used = []
    for path in sorted((kit / "checks").rglob("*.py")):
        rel = str(path.relative_to(kit))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                node.func, "id", "")
            candidates = []
            if callee in DIAGNOSES and node.args:
                candidates.append(node.args[0])
            if callee == "rule_check" and len(node.args) >= 5:
                candidates.append(node.args[4])
            candidates += [k.value for k in node.keywords if k.arg == "misconception"]
            used += [(rel, c.lineno, c.value) for c in candidates
                     if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return used


def problems() -> list[str]:
    """Everything missing, each as what to add and where."""
    found: list[str] = []
    known = set(i18n.misconceptions())
    mutants = {}
    for path in sorted((KIT / "tests" / "mutants").glob("*/*.py")):
        consts = _constants(path)
        rel = str(path.relative_to(KIT))
        mutants[rel] = (path.parent.name, consts.get("BREAKS"), consts.get("MISCONCEPTION"))
    for t in catalog.TOPICS:
        stubs, solutions = KIT / "exercises" / f"{t.name}.py", KIT / "solutions" / f"{t.name}.py"
        stub_defs, solution_defs = _defined(stubs), _defined(solutions)
        check_file = KIT / "checks" / f"{t.name}.py"
        if check_file.is_file():
            module = importlib.import_module(f"checks.{t.name}")
            own, _ = _graded_by(module)
            untouched = _covered_by_untouched(module)
        else:
            found.append(f"topic {t.name}: add its check module, checks/{t.name}.py")
            own, untouched = set(), set()
        for fn in t.functions:
            where = f"{t.name}.{fn.name}"
            if fn.name not in stub_defs:
                found.append(f"{where}: add its stub to exercises/{t.name}.py")
            if fn.name not in solution_defs:
                found.append(f"{where}: add its reference solution to solutions/{t.name}.py")
            if fn.name not in own:
                found.append(f"{where}: add a value check to checks/{t.name}.py, a test marked "
                             f"@pytest.mark.grades(TOPIC, \"{fn.name}\")")
            if fn.name not in untouched and fn.name not in catalog.RULE_CHECK_EXEMPT:
                found.append(f"{where}: no rule check covers it: add it to SAMPLE_ARGS in "
                             f"checks/{t.name}.py (the shared rule checks, untouched_check), or "
                             f"to RULE_CHECK_EXEMPT in gradkit/catalog.py with the reason")
            for lang in i18n.LANGS:
                if not (i18n.all_hints().get(fn.name) or {}).get(lang):
                    found.append(f"{where}: add its {lang} hints to gradkit/texts/hints.toml "
                                 f"([{fn.name}] {lang} = [\"...\", \"...\"])")
            if not any(m[:2] == (t.name, fn.name) for m in mutants.values()):
                found.append(f"{where}: add at least one mutant, tests/mutants/{t.name}/<mistake>.py "
                             f"with BREAKS = \"{fn.name}\" and MISCONCEPTION = \"<id>\"")
    for rel, (topic, breaks, mid) in mutants.items():
        if topic not in catalog.TOPIC_NAMES:
            found.append(f"{rel}: {topic} is not a topic in gradkit/catalog.py")
        elif breaks not in [f.name for f in catalog.topic(topic).functions]:
            found.append(f"{rel}: BREAKS = {breaks!r} is not a function of {topic} in "
                         f"gradkit/catalog.py")
        if not isinstance(mid, str) or mid not in known:
            found.append(f"{rel}: MISCONCEPTION = {mid!r} is not in "
                         f"gradkit/texts/misconceptions.toml: add it (en and zh) or fix the id")
    for rel, line, mid in _misconceptions_in_checks():
        if mid not in known:
            found.append(f"{rel}:{line}: misconception {mid!r} is not in "
                         f"gradkit/texts/misconceptions.toml: add it (en and zh) or fix the id")
    return found


PROBLEMS = problems()
if PROBLEMS:
    pytest.fail("the kit is incomplete (see docs/authoring.md):\n  "
                + "\n  ".join(PROBLEMS), pytrace=False)


def test_every_function_has_everything_it_needs():
    assert PROBLEMS == []


def test_the_guard_rails_see_what_they_check():
    """The detectors find what exists (so an empty problem list means something)."""
    gd = importlib.import_module("checks.gd_loop")
    own, _ = _graded_by(gd)
    assert {"gradient_descent", "least_squares", "ridge"} <= own
    assert {"gradient_descent", "ridge"} <= _covered_by_untouched(gd)
    assert "converges" not in _covered_by_untouched(gd)
    used = {mid for _, _, mid in _misconceptions_in_checks()}
    assert {"input_mutated", "loss_recorded_after_update", "optim_used"} <= used


def test_totals_come_from_the_catalog():
    assert catalog.total_points() == sum(f.points for f in catalog.all_functions())
    for t in catalog.TOPICS:
        assert catalog.total_points([t.name]) == sum(f.points for f in t.functions)


def test_exemptions_name_catalogued_functions_with_a_reason():
    names = {f.name for f in catalog.all_functions()}
    for name, reason in catalog.RULE_CHECK_EXEMPT.items():
        assert name in names, f"RULE_CHECK_EXEMPT names {name}, which is not in the catalog"
        assert reason.strip(), name


def test_a_misspelt_misconception_id_in_a_check_is_found(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "toy.py").write_text(
        'def diagnoses(x):\n'
        '    return [matches("dropped_factor_two", lambda: x), scaled("flipped_sign", -1.0)]\n'
        'def test_it(case):\n'
        '    case.fail("...", misconception="input_mutatd")\n', encoding="utf-8")
    found = {(line, mid) for _, line, mid in _misconceptions_in_checks(tmp_path)}
    assert found == {(2, "dropped_factor_two"), (2, "flipped_sign"), (4, "input_mutatd")}
    assert {"dropped_factor_two", "input_mutatd"}.isdisjoint(i18n.misconceptions())
