"""`make bench`: how long and how much memory a whole grading run takes.

Times `gradkit grade solutions --json` as a process next to `python -c "import
torch"`, and samples the memory of the whole process tree (grader, zygote,
workers) while it runs. Targets: the ratio at most 3, peak memory under 600 MB
(Gradescope's default container has 768 MB). Then the same run pinned to one
core, against PrairieLearn's 30 s and Gradescope's half CPU and 10 minutes.
Prints; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
TARGET_RATIO, TARGET_MB = 3.0, 600
# The LMS containers a full grading run must fit: Gradescope's default (768 MB, half a
# CPU, 10 minutes) and PrairieLearn's default 30 s limit on one core.
GRADESCOPE_MB, GRADESCOPE_S, PRAIRIELEARN_S = 768, 600, 30


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    return children


def _tree(root: int) -> list[int]:
    children, found, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _memory_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(cmd: list[str], cpus: set[int] | None = None) -> tuple[float, float, float]:
    """Wall seconds, peak PSS and peak RSS (MB) summed over the process tree;
    ``cpus``: the cores it may use (one core: PrairieLearn's default)."""
    start = time.perf_counter()
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=KIT,
                            preexec_fn=pin)
    peak_pss = peak_rss = 0
    while proc.poll() is None:
        pids = _tree(proc.pid)
        peak_pss = max(peak_pss, sum(_memory_kb(p, "Pss") for p in pids))
        peak_rss = max(peak_rss, sum(_memory_kb(p, "Rss") for p in pids))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, peak_pss / 1024, peak_rss / 1024


def main(repeats: int = 3) -> None:
    out = os.path.join(tempfile.mkdtemp(prefix="gradkit-bench-"), "r.json")
    baseline = [run_measured([sys.executable, "-c", "import torch"]) for _ in range(repeats)]
    graded = [run_measured([sys.executable, "-m", "gradkit", "grade", "solutions", "--json", out])
              for _ in range(repeats)]
    t_torch = statistics.median(b[0] for b in baseline)
    t_grade = statistics.median(g[0] for g in graded)
    pss = max(g[1] for g in graded)
    rss = max(g[2] for g in graded)
    ratio = t_grade / t_torch
    print(f"python -c 'import torch'        {t_torch:6.2f} s (median of {repeats})")
    print(f"gradkit grade solutions --json  {t_grade:6.2f} s (median of {repeats})")
    print(f"ratio                           {ratio:6.2f}   (target <= {TARGET_RATIO:g}) "
          f"{'ok' if ratio <= TARGET_RATIO else 'OVER TARGET'}")
    print(f"peak memory, all processes      {pss:6.0f} MB PSS, {rss:.0f} MB RSS summed "
          f"(target < {TARGET_MB} MB) {'ok' if pss < TARGET_MB else 'OVER TARGET'}")
    one_core = [run_measured([sys.executable, "-m", "gradkit", "grade", "solutions", "--json", out],
                             cpus={min(os.sched_getaffinity(0))}) for _ in range(repeats)]
    t_one = statistics.median(o[0] for o in one_core)
    pss_one = max(o[1] for o in one_core)
    print(f"on one core                     {t_one:6.2f} s, {pss_one:.0f} MB PSS peak")
    print(f"PrairieLearn (30 s, one core)   {'fits' if t_one < PRAIRIELEARN_S else 'DOES NOT FIT'}"
          f" ({t_one / PRAIRIELEARN_S:.0%} of the limit)")
    half = 2 * t_one  # half a CPU: at most twice the one-core time
    fits = half < GRADESCOPE_S and max(pss, pss_one) < GRADESCOPE_MB
    print(f"Gradescope (768 MB, 0.5 CPU)    {'fits' if fits else 'DOES NOT FIT'} "
          f"(~{half:.0f} s of {GRADESCOPE_S} s, {max(pss, pss_one):.0f} of {GRADESCOPE_MB} MB)")


if __name__ == "__main__":
    main()
