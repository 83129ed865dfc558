"""A check's counterexample does not depend on which other checks or topics run."""

import json
import subprocess
import sys

from tests.kit import KIT, Mutant, cli_env


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
