"""`make mutate`: mutation testing of the checks with cosmic-ray, on a copy of the kit.

cosmic-ray mutates solutions/ one operator at a time (in a copy: the working tree is
never touched) and runs tests/mutation/judge.py, which grades the mutated topic. A
mutant the checks do not catch is either a gap in the checks or equivalent (it cannot
change any answer); docs/mutation.md lists the equivalent ones with the reason, and
they are left out of the kill rate. Usage: python tests/mutation/mutate.py [--examples N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
CONFIG = """[cosmic-ray]
module-path = "solutions"
timeout = 300.0
excluded-modules = {excluded}
test-command = "{python} tests/mutation/judge.py"

[cosmic-ray.distributor]
name = "local"
"""


def equivalents() -> set[tuple[str, str, int, int]]:
    """(module, operator, occurrence, line) of each mutant docs/mutation.md calls equivalent."""
    text = (KIT / "docs" / "mutation.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([\w/.]+)` \| `([\w/:]+)` \| (\d+) \| (\d+) \|", text, re.M)
    return {(m, op, int(occ), int(line)) for m, op, occ, line in rows}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", default=os.environ.get("GRADKIT_EXAMPLES", "20"))
    parser.add_argument("--keep", help="keep the work folder here (session.sqlite, report)")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="gradkit-mutate-"))
    copy = work / "kit"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(KIT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "report", "__pycache__", "*.egg-info", ".hypothesis"))
    shutil.copytree(KIT / "solutions", work / "pristine", dirs_exist_ok=True)
    # A solution module whose topic has no checks yet cannot lose a point: not mutated.
    excluded = [f"solutions/{p.name}" for p in sorted((KIT / "solutions").glob("*.py"))
                if not (KIT / "checks" / p.name).exists()]
    (copy / "cosmic-ray.toml").write_text(
        CONFIG.format(python=sys.executable, excluded=json.dumps(excluded)), encoding="utf-8")
    env = {**os.environ, "GRADKIT_EXAMPLES": str(args.examples),
           "GRADKIT_MUTATE_PRISTINE": str(work / "pristine"), "GRADKIT_SANDBOX_UIDS": "off",
           "PYTHONPATH": str(copy)}
    bindir = Path(sys.executable).parent
    session = work / "session.sqlite"
    subprocess.run([bindir / "cosmic-ray", "init", "cosmic-ray.toml", str(session)],
                   cwd=copy, env=env, check=True)
    subprocess.run([bindir / "cosmic-ray", "exec", "cosmic-ray.toml", str(session)],
                   cwd=copy, env=env, check=True)
    return report(session, work)


def report(session: Path, work: Path) -> int:
    db = sqlite3.connect(session)
    rows = db.execute("""SELECT m.module_path, m.operator_name, m.occurrence, m.start_pos_row,
                                r.test_outcome, r.worker_outcome
                         FROM mutation_specs m JOIN work_results r ON m.job_id = r.job_id""").fetchall()
    equivalent = equivalents()
    killed, survived, skipped = 0, [], 0
    for module, operator, occurrence, line, test_outcome, worker_outcome in rows:
        module = Path(module).as_posix()
        if not (KIT / "checks" / Path(module).name).exists():
            continue  # a topic without checks (not mutated by a fresh run)
        if (module, operator, occurrence, line) in equivalent:
            skipped += 1
        elif str(test_outcome).lower() == "survived" and str(worker_outcome).lower() == "normal":
            survived.append((module, operator, occurrence, line))
        else:
            killed += 1
    total = killed + len(survived)
    (work / "survivors.json").write_text(json.dumps(survived, indent=1), encoding="utf-8")
    for s in survived:
        print("survived: | `%s` | `%s` | %d | %d |" % s)
    print(f"mutants run: {total + skipped}, equivalent (docs/mutation.md): {skipped}, "
          f"killed {killed} of {total}: {100.0 * killed / max(total, 1):.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
