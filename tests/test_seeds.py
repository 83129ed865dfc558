"""A check's counterexample does not depend on which other checks or topics run."""

import json
import subprocess
import sys

from tests.kit import KIT, SOLUTIONS, Mutant, cli_env


def _calls(folder, out, topics):
    subprocess.run([sys.executable, "-m", "gradkit", "grade", str(folder), "--json", str(out),
                    "--topics", *topics], check=True, env=cli_env(), cwd=KIT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "call" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(json.loads(out.read_text(encoding="utf-8")))
    return found


def test_the_counterexample_is_the_same_alone_and_among_other_topics(tmp_path):
    mutant = Mutant(KIT / "tests" / "mutants" / "grad_accumulation" / "accumulated_unscaled.py")
    folder = mutant.build(tmp_path / "sub")
    alone = _calls(folder, tmp_path / "alone.json", ["grad_accumulation"])
    among = _calls(folder, tmp_path / "among.json",
                   ["manual_grad", "graph_leaves", "grad_accumulation", "detach"])
    assert alone, "the mutant was not caught"
    among = [c for c in among if c.startswith("accumulated_grad(")]
    assert alone == among


RANDOMLY = '''import os


def pytest_collection_modifyitems(items):
    """What pytest-randomly does to a test run: another order, here reversed."""
    with open(os.environ["MARK_LOADED"], "a") as fh:
        fh.write("loaded\\n")
    items.reverse()
'''


def test_a_pytest_plugin_installed_beside_the_kit_is_not_loaded_while_grading(tmp_path):
    """A plugin that pytest would load by its entry point (pytest-randomly, say) could
    reorder or reseed the checks: grading loads none but hypothesis's."""
    site = tmp_path / "site"
    (site / "reorder_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "reorder_plugin.py").write_text(RANDOMLY)
    (site / "reorder_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: reorder-plugin\nVersion: 1.0\n")
    (site / "reorder_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[pytest11]\nreorder = reorder_plugin\n")
    mark = tmp_path / "loaded"
    env = cli_env(PYTHONPATH=f"{KIT}:{site}", MARK_LOADED=str(mark))
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    str(tmp_path / "test_nothing.py")], env=env, cwd=tmp_path, check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    assert mark.read_text() == "loaded\n"  # a plugin pytest itself does load
    mark.unlink()
    subprocess.run([sys.executable, "-m", "gradkit", "grade", str(SOLUTIONS), "--json",
                    str(tmp_path / "out.json"), "--topics", "manual_grad"], env=env, cwd=KIT,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    assert not mark.exists()
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["score"] == 10
