"""`make mutate`: mutation testing of the checks with cosmic-ray, on a copy of the kit.

cosmic-ray mutates solutions/ one operator at a time (in a copy: the working tree is
never touched) and runs tests/mutation/judge.py, which grades the mutated topic. A
mutant the checks do not catch is either a gap in the checks or equivalent (it cannot
change any answer); docs/mutation.md lists the equivalent ones with the reason, and
they are left out of the kill rate. Usage: python tests/mutation/mutate.py [--examples N]

Speed: cosmic-ray runs the judge once per mutant, and a fresh `gradkit grade` would import
torch and make its zygote each time. So this script keeps one warm grader process
(gradkit.batch_workers, as `grade-batch` uses) behind a unix socket; the judge asks it to
grade the changed topic, stopping at the first failing check (a mutant is killed by one).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socketserver
import sqlite3
import subprocess
import sys
import tempfile
import threading
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


class _Judge(socketserver.StreamRequestHandler):
    """One request per mutant: a JSON line {"folder", "topics"}; answers {"score", "max_score"}
    ({} when the grading produced no result, which the judge counts as killed)."""

    def handle(self) -> None:
        from gradkit.batch_workers import GraderProcess  # the copy's (see judge_server)

        server = self.server
        job = json.loads(self.rfile.readline())
        out = Path(server.work) / "judge-result.json"  # type: ignore[attr-defined]
        out.unlink(missing_ok=True)
        grader: GraderProcess = server.grader  # type: ignore[attr-defined]
        grader.grade(job["folder"], str(out), str(out.with_suffix(".log")),
                     {"topics": job["topics"], "fail_fast": True}, timeout=600)
        answer = {}
        if out.exists():
            result = json.loads(out.read_text(encoding="utf-8"))
            answer = {"score": result.get("score"), "max_score": result.get("max_score")}
        self.wfile.write((json.dumps(answer) + "\n").encode())


def judge_server(work: Path, env: dict) -> socketserver.UnixStreamServer:
    """The warm grader behind a unix socket in ``work``, served from a daemon thread. It runs
    the engine and checks of the copy (``work/kit``), so edits to the working tree while a
    long run goes on cannot change its verdicts."""
    sys.path.insert(0, str(work / "kit"))
    from gradkit.batch_workers import GraderProcess

    server = socketserver.UnixStreamServer(str(work / "judge.sock"), _Judge)
    server.work = str(work)  # type: ignore[attr-defined]
    server.grader = GraderProcess(env)  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
           "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": str(copy)}
    server = judge_server(work, env)
    env["GRADKIT_MUTATE_JUDGE"] = str(work / "judge.sock")
    bindir = Path(sys.executable).parent
    session = work / "session.sqlite"
    try:
        subprocess.run([bindir / "cosmic-ray", "init", "cosmic-ray.toml", str(session)],
                       cwd=copy, env=env, check=True)
        subprocess.run([bindir / "cosmic-ray", "exec", "cosmic-ray.toml", str(session)],
                       cwd=copy, env=env, check=True)
    finally:
        server.shutdown()
        server.grader.stop()  # type: ignore[attr-defined]
    return report(session, work)


def report(session: Path, work: Path) -> int:
    db = sqlite3.connect(session)
    rows = db.execute("""SELECT m.module_path, m.operator_name, m.occurrence, m.start_pos_row,
                                r.test_outcome, r.worker_outcome, r.output
                         FROM mutation_specs m JOIN work_results r ON m.job_id = r.job_id""").fetchall()
    equivalent = equivalents()
    killed, survived, skipped, broken = 0, [], 0, 0
    for module, operator, occurrence, line, test_outcome, worker_outcome, output in rows:
        module = Path(module).as_posix()
        if not (KIT / "checks" / Path(module).name).exists():
            continue  # a topic without checks (not mutated by a fresh run)
        if (module, operator, occurrence, line) in equivalent:
            skipped += 1
        elif str(test_outcome).lower() == "survived" and str(worker_outcome).lower() == "normal":
            survived.append((module, operator, occurrence, line))
        else:
            killed += 1
            broken += "no result" in (output or "")
    total = killed + len(survived)
    (work / "survivors.json").write_text(json.dumps(survived, indent=1), encoding="utf-8")
    for s in survived:
        print("survived: | `%s` | `%s` | %d | %d |" % s)
    print(f"mutants run: {total + skipped}, equivalent (docs/mutation.md): {skipped}, "
          f"killed {killed} of {total}: {100.0 * killed / max(total, 1):.1f}% "
          f"({broken} of them by a grading that gave no result: look at those)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
