"""Nothing in the student bundle earns points, and the bundle never says passed where the full
kit would not.

A student hunting for answers searches the bundle's Python files for functions that look like
what each exercise returns (gradients, orders, names, leaves, updates) and pastes them into a
submission: ``return candidate(*args)`` ("pasted with a return added"), and a second variant
with one small edit each (a function that returns nothing gives the gradient it left on its
arguments; a set is sorted, high to low; a walk's nodes become their names). Graded with the
FULL kit, each function may score no more than the stubs (0) plus what the docstrings' worked
examples already say: the points its checks named ``*worked_example*`` would give if exactly
they passed (``worked_example_allowance``)."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from gradkit import bundle, catalog
from gradkit.results import FAILED, PASSED, FunctionResult, GradeResult
from tests.kit import KIT, MUTANTS, cli_env

# What each exercise's answer looks like in code, as a student would grep for it.
LOOKS_LIKE = {
    "is_leaf": r"is_leaf|grad_fn is None", "grad_fn_names": r"next_functions|name\(\)",
    "leaves_receiving_grad": r"variable|requires_grad", "intermediate_grad": r"retain_grad",
    "backward_twice": r"retain_graph", "two_losses_grads": r"retain_graph",
    "second_derivative": r"create_graph", "accumulated_grad": r"micro|backward",
    "grads_without_zeroing": r"backward", "zero_grad": r"zero_|set_to_none",
    "stop_gradient_grads": r"detach", "straight_through_round": r"round",
    "predict": r"no_grad", "frozen_step": r"W2|detach", "gradient_descent": r"lr",
    "minibatch_sgd": r"batch", "converges": r"lr|ratio", "least_squares": r"pinv|lstsq|solve",
    "ridge": r"solve|eye", "linear_mse_grad": r"mean|residual", "sigmoid_neuron_grad": r"sigmoid",
    "matrix_mse_grad": r"\.T|mean", "two_layer_grads": r"tanh", "vjp": r"grad_out|\bop\b",
    "topo_order": r"inputs|order", "backward": r"grads|inputs", "numerical_grad": r"eps|EPS",
}
PRELUDE = "import math\nimport torch\nfrom collections import deque\n"
PART = "\n# -- part --\n"  # between a candidate's pieces, each pasted on its own


def _open_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="gradkit-bundle-answers-"))
    folder.chmod(0o755)  # as root, student code runs under a uid of its own
    return folder


@pytest.fixture(scope="module")
def student_kit():
    folder = _open_folder()
    with zipfile.ZipFile(bundle.student(folder / "student.zip")) as zf:
        zf.extractall(folder)
    yield folder / "gradkit-student"
    shutil.rmtree(folder, ignore_errors=True)


# -- the hunt -------------------------------------------------------------------------------

def _stub(node: ast.FunctionDef) -> bool:
    """The bundle's own replacement of a marked function: nothing to paste."""
    text = ast.unparse(node)
    return "precomputed(" in text or ast.unparse(node.body[-1]) == "return []"


def hunt(kit: Path) -> dict[str, list[str]]:
    """function -> pasteable sources (the candidate as ``_candidate_N`` with what it needs
    from its own file: its module's constants and the functions it names), best guess first."""
    found: dict[str, list[str]] = {name: [] for name in LOOKS_LIKE}
    for path in sorted(kit.rglob("*.py")):
        if "exercises" in path.parts:
            continue  # the stubs themselves
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        constants = [n for n in tree.body if isinstance(n, ast.Assign)
                     and all(isinstance(t, ast.Name) and t.id.isupper() for t in n.targets)]
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or _stub(node) or node.name.startswith("test_"):
                continue
            source = ast.unparse(node)
            for function, pattern in LOOKS_LIKE.items():
                if re.search(pattern, source):
                    found[function].append(_pasteable(node, top, constants))
    return found


def _pasteable(node: ast.FunctionDef, top: dict, constants: list) -> str:
    named = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    helpers = [top[n] for n in sorted(named) if n in top and top[n] is not node and not _stub(top[n])]
    parts = [ast.unparse(c) for c in constants] + [_bare(h) for h in helpers]
    parts.append(_bare(node).replace(f"def {node.name}(", "def _candidate(", 1))
    return PART.join(parts)


def _bare(node: ast.FunctionDef) -> str:
    """The function without its decorators (the kit's markers, pytest's, hypothesis's)."""
    copy = ast.FunctionDef(name=node.name, args=node.args, body=node.body, decorator_list=[],
                           returns=node.returns, type_comment=None, type_params=[])
    return ast.unparse(ast.fix_missing_locations(ast.copy_location(copy, node)))


# What follows a candidate's call: its value as it is ("pasted with a return added"), or
# with one small edit (a student adapting what they found).
TAILS = {
    "return": """
        return value""",
    "edited": """
        if value is None:  # it filled .grad: give that
            grads = [a.grad for a in args if isinstance(a, torch.Tensor) and a.grad is not None]
            value = grads[-1] if grads else None
        if isinstance(value, (set, frozenset)):
            value = sorted(value, reverse=True)
        if isinstance(value, list) and value and hasattr(value[0], "next_functions"):
            value = [n.name() for n in value]
        return value""",
}


def copied_submission(kit: Path, folder: Path, edit: str) -> Path:
    """One module per topic; each function tries the candidates in turn and answers with the
    first that does not raise (so one submission stands for every paste)."""
    candidates = hunt(kit)
    folder.mkdir(parents=True)
    for topic in catalog.TOPICS:
        parts = [PRELUDE]
        for fn in topic.functions:
            names = []
            for i, source in enumerate(candidates.get(fn.name, [])[:40]):
                name = f"_{fn.name}_{i}"
                # each paste on its own: one that cannot even be defined costs only itself
                for piece in source.replace("_candidate(", f"{name}(").split(PART):
                    parts.append("try:\n" + textwrap.indent(piece, "    ")
                                 + "\nexcept Exception:\n    pass")
                names.append(name)
            parts.append(f"""def {fn.name}(*args):
    for candidate in filter(None, [globals().get(n) for n in {names!r}]):
        try:
            value = candidate(*args)
        except Exception:
            continue{TAILS[edit]}
    raise NotImplementedError""")
        (folder / f"{topic.name}.py").write_text("\n\n\n".join(parts) + "\n", encoding="utf-8")
    return folder


def _grade_full(folder: Path, topics: list[str] | None = None) -> GradeResult:
    out = folder.parent / (folder.name + ".json")
    command = [sys.executable, "-m", "gradkit", "grade", str(folder), "--json", str(out)]
    done = subprocess.run(command + (["--topics", *topics] if topics else []), cwd=KIT,
                          env=cli_env(GRADKIT_EXAMPLES="6"), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return GradeResult.from_dict(json.loads(out.read_text()))


def worked_example_allowance(fn: FunctionResult) -> float:
    """What the docstrings' worked examples already say, in points: the score if exactly the
    checks named ``*worked_example*`` passed (every other check failed, no rule broken)."""
    from gradkit.catalog import rule_of
    checks = [replace(c, outcome=PASSED if "worked_example" in c.name or rule_of(c.check or c.name)
                      else FAILED, error_kind=None) for c in fn.checks if not c.skipped]
    return replace(fn, checks=checks).score


@pytest.mark.parametrize("edit", ["return", "edited"])
def test_code_copied_from_the_bundle_scores_no_more_than_the_worked_examples(
        student_kit, edit):
    folder = _open_folder()
    try:
        result = _grade_full(copied_submission(student_kit, folder / "copied", edit))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    over = {f"{f.topic}.{f.function}": (f.score, worked_example_allowance(f))
            for f in result.functions if f.score > worked_example_allowance(f) + 1e-9}
    assert not over, f"bundle code earns more than the worked examples give: {over}"
    assert {f.function for f in result.functions} == {f.name for f in catalog.all_functions()}


def test_the_hunt_finds_something_to_paste(student_kit):
    """The attacker is real: it pastes dozens of bundle functions, for most exercises."""
    found = hunt(student_kit)
    assert sum(len(v) for v in found.values()) > 50
    assert sum(bool(v) for v in found.values()) >= len(LOOKS_LIKE) - 3


def test_the_kit_itself_would_be_caught(tmp_path):
    """The same hunt over the full kit's checks finds answers (the test can fail): pasted
    from the kit, grad_fn_names' reference scores past its worked examples."""
    folder = _open_folder()
    try:
        kit_copy = folder / "kit"
        shutil.copytree(KIT / "checks", kit_copy / "checks")
        copied = copied_submission(kit_copy, folder / "copied", "return")
        result = _grade_full(copied, ["graph_leaves"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    fn = result.function("graph_leaves", "grad_fn_names")
    assert fn.score > worked_example_allowance(fn), (fn.score, worked_example_allowance(fn))


# -- the verdicts -------------------------------------------------------------------------

def _grade_in_bundle(kit: Path, submission: Path, topic: str, out_dir: Path) -> dict:
    out = out_dir / f"{submission.name}-bundle.json"  # never beside the submission: the kit's own
    done = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(submission), "--json",
                           str(out), "--topics", topic], cwd=kit,
                          env={**os.environ, "GRADKIT_LANG": "en", "PYTHONPATH": str(kit)},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def test_a_bundle_grading_never_passes_what_the_full_kit_fails(student_kit):
    """A depth-first grad_fn_names (the README's sample mistake) and the reference solutions:
    where the bundle says passed, so does the full kit; where it lacks a reference, it says
    provisional, in the results and in `gradkit list`."""
    folder = _open_folder()
    try:
        submission = folder / "depth-first"
        submission.mkdir()
        shutil.copy(KIT / "solutions" / "graph_leaves.py", submission / "graph_leaves.py")
        with open(submission / "graph_leaves.py", "a", encoding="utf-8") as fh:
            fh.write("\n" + (MUTANTS / "graph_leaves" / "names_depth_first.py").read_text())
        in_bundle = _grade_in_bundle(student_kit, submission, "graph_leaves", folder)
        full = _grade_full(submission, ["graph_leaves"])
        solutions = _grade_in_bundle(student_kit, KIT / "solutions", "graph_leaves", folder)
        env = {**os.environ, "GRADKIT_LANG": "en", "PYTHONPATH": str(student_kit)}
        checked = subprocess.run([sys.executable, "-m", "gradkit", "check", "graph_leaves",
                                  "--target", str(KIT / "solutions")], cwd=folder, env=env,
                                 capture_output=True, text=True, timeout=900)
        listed = subprocess.run([sys.executable, "-m", "gradkit", "list", "--target",
                                 str(KIT / "solutions")], cwd=folder, env=env,
                                capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    verdicts = {f["function"]: f["status"] for f in in_bundle["functions"]}
    for fn in full.functions:
        if verdicts[fn.function] == PASSED:
            assert fn.status == PASSED, fn.function
    assert full.function("graph_leaves", "grad_fn_names").status != PASSED
    assert verdicts["grad_fn_names"] != PASSED
    names = next(f for f in solutions["functions"] if f["function"] == "grad_fn_names")
    assert names["status"] == "provisional"  # right, but only the instructor can say so
    assert any(c["error_kind"] == "withheld" for c in names["checks"])
    # `gradkit check` in the bundle: right answers, yet not "passed", and exit 1; `list` agrees
    assert checked.returncode == 1, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert "provisional: graded in full by your instructor" in checked.stdout
    line = next(x for x in listed.stdout.splitlines() if x.startswith("graph_leaves"))
    assert "provisional" in line and "done" not in line, listed.stdout
