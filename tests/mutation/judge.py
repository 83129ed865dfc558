"""cosmic-ray's test command for `make mutate`: grade the (mutated) solutions/ folder.

cosmic-ray mutates one place in solutions/ and runs this; exit status 0 means the
mutant survived (full marks), 1 that the checks killed it (a point lost). Only the
topic whose module differs from the pristine copy is graded, so one mutant costs one
topic's grading, not the whole kit's. With ``GRADKIT_MUTATE_JUDGE`` (a unix socket that
mutate.py serves) a warm grader grades it, stopping at the first failing check; else a
fresh `gradkit grade` does.
"""

from __future__ import annotations

import filecmp
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path.cwd()
PRISTINE = Path(os.environ["GRADKIT_MUTATE_PRISTINE"])


def main() -> int:
    changed = [p.stem for p in sorted((ROOT / "solutions").glob("*.py"))
               if not filecmp.cmp(p, PRISTINE / p.name, shallow=False)]
    if not changed:
        return 0  # nothing mutated (cosmic-ray's baseline run): full marks expected
    if os.environ.get("GRADKIT_MUTATE_JUDGE"):
        return warm(os.environ["GRADKIT_MUTATE_JUDGE"], changed)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        run = subprocess.run([sys.executable, "-m", "gradkit", "grade", str(ROOT / "solutions"),
                              "--json", str(out), "--topics", *changed],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not out.exists():
            print("no result:", run.returncode)
            return 1
        result = json.loads(out.read_text(encoding="utf-8"))
    return 0 if result["score"] >= result["max_score"] else 1


def warm(path: str, topics: list[str]) -> int:
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(path)
        conn.sendall((json.dumps({"folder": str(ROOT / "solutions"), "topics": topics})
                      + "\n").encode())
        answer = json.loads(conn.makefile().readline() or "{}")
    if not answer.get("max_score"):  # the grading itself broke: say so in cosmic-ray's record
        print("no result")
        return 1
    return 0 if answer["score"] >= answer["max_score"] else 1


if __name__ == "__main__":
    sys.exit(main())
