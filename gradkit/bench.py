"""`make bench`: how long and how much memory grading takes, every figure against its target.

Each grading is timed as a process next to `python -c "import torch"`, with the
memory of its whole process tree (grader, zygote, workers) sampled while it runs:

- a correct full submission (the reference solutions): at most 3x `import torch`; also
  the first grading after an install, which draws every example and writes down the
  grading plan every later grading replays (gradkit/plan.py), without a target;
- a buggy full submission (several wrong answers, from the kit's mutants): at most 6x;
- one buggy topic: at most 4 s;
- peak memory of a full grading, all processes summed: at most 600 MB. Reported as PSS
  (each shared page split between the processes sharing it) and RSS (each counted in
  every process). A container's memory limit (its cgroup) charges every page once, so
  the PSS sum is what it sees; the RSS sum counts torch's shared pages once per process;
- a warm `check --watch`: from a save to the verdict of that one topic, at most 1 s (2 s
  under load);
- a batch on warm grader processes: submissions per minute with 2 jobs (at least 30), and
  what an extra submission costs beyond its grading;
- the correct run pinned to one core: at most 15 s (PrairieLearn's default limit is 30 s;
  Gradescope's is half a CPU and 10 minutes).

Everything is measured twice: idle, and "under load", with a CPU hog on one core beside it
(students' laptops are busy). Prints every figure in both columns, with its ratio to
`import torch` measured in the same column, and "ok" or by how much it misses; asserts
nothing. The buggy submission needs the kit's tests/ (its mutants): in a bundle without
them those figures are left out, saying so.
"""

from __future__ import annotations

from typing import Any
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
TARGET_RATIO, TARGET_BUGGY_RATIO, TARGET_TOPIC_S, TARGET_MB, TARGET_WATCH_S = 3.0, 6.0, 4.0, 600, 1.0
TARGET_WATCH_LOADED_S, TARGET_PER_MINUTE, TARGET_ONE_CORE_S = 2.0, 30.0, 15.0
# The batch: this many submissions (half right, half buggy) graded with this many jobs.
BATCH_SIZE, BATCH_JOBS = 6, 2
# The LMS containers a full grading run must fit: Gradescope's default (768 MB, half a
# CPU, 10 minutes) and PrairieLearn's default 30 s limit on one core.
GRADESCOPE_MB, GRADESCOPE_S, PRAIRIELEARN_S = 768, 600, 30
# A submission with real mistakes: one or more wrong functions in every topic, one not
# written at all (tests/mutants/<topic>/<name>.py, appended to the solutions).
BUGGY = ["graph_leaves/names_depth_first", "graph_leaves/intermediate_no_retain_grad",
         "graph_leaves/is_leaf_reads_attribute",
         "retain_graph/losses_not_zeroed", "retain_graph/second_returns_first",
         "grad_accumulation/without_zeroing_aliased", "grad_accumulation/accumulated_unscaled",
         "detach/round_plain", "detach/frozen_fills_W1_grad", "detach/stop_gradient_wrong_side",
         "manual_grad/linear_dropped_factor2", "manual_grad/two_layer_dW1_transposed",
         "manual_grad/matrix_no_mean", "manual_grad/sigmoid_sigma_for_derivative",
         "gd_loop/gd_loss_after_update", "gd_loop/ridge_lambda_every_entry",
         "gd_loop/converges_two_over_a"]
BUGGY_TOPIC = "manual_grad"


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


def run_measured(cmd: list[str], cpus: set[int] | None = None,
                 env: dict[str, str] | None = None, memory: bool = True) -> tuple[float, float, float]:
    """Wall seconds, peak PSS and peak RSS (MB) summed over the process tree (0 without
    ``memory``); ``cpus``: the cores it may use (one core: PrairieLearn's default)."""
    start = time.perf_counter()
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=KIT,
                            preexec_fn=pin, env=env)
    peak_pss = peak_rss = 0
    while memory and proc.poll() is None:
        pids = _tree(proc.pid)
        peak_pss = max(peak_pss, sum(_memory_kb(p, "Pss") for p in pids))
        peak_rss = max(peak_rss, sum(_memory_kb(p, "Rss") for p in pids))
        time.sleep(0.02)
    proc.wait()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, peak_pss / 1024, peak_rss / 1024


def verdict(value: float, target: float, unit: str = "", below: bool = False) -> str:
    """"ok", or how much ``value`` misses ``target`` by (at most; strictly under if ``below``)."""
    met = value < target if below else value <= target
    if met:
        return f"ok ({value / target:.0%} of the target)"
    return f"MISSED by {value - target:.2f}{unit} ({(value / target - 1):.0%} over)"


def line(label: str, value: str, target: str, outcome: str) -> None:
    print(f"{label:<40} {value:>18}   target {target:<12} {outcome}")


def build_buggy(folder: Path) -> Path | None:
    """The solutions with the ``BUGGY`` mutants appended, or None without tests/mutants."""
    mutants = KIT / "tests" / "mutants"
    if not mutants.is_dir():
        return None
    folder.mkdir(parents=True)
    for src in (KIT / "solutions").glob("*.py"):
        shutil.copy(src, folder / src.name)
    for name in BUGGY:
        topic = name.split("/")[0]
        with open(folder / f"{topic}.py", "a", encoding="utf-8") as fh:
            fh.write("\n\n" + (mutants / f"{name}.py").read_text(encoding="utf-8"))
    with open(folder / "manual_grad.py", "a", encoding="utf-8") as fh:
        fh.write("\n\ndef sigmoid_neuron_grad(*args):\n"
                 "    raise NotImplementedError('sigmoid_neuron_grad is not implemented yet')\n")
    return folder


def grade_cmd(folder: str | Path, out: str, *topics: str) -> list[str]:
    cmd = [sys.executable, "-m", "gradkit", "grade", str(folder), "--json", out]
    return cmd + (["--topics", *topics] if topics else [])


def median_run(cmd: list[str], repeats: int, memory: bool = False, **kw: Any
               ) -> tuple[float, float, float]:
    """The median wall time of ``repeats`` runs, and with ``memory`` the peak PSS and RSS of
    one more run. Timed runs are not sampled: reading every process's memory map every
    20 ms slows the run it measures (5.50 s for solutions/ sampled, 4.32 s not)."""
    walls = [run_measured(cmd, memory=False, **kw)[0] for _ in range(repeats)]
    _, pss, rss = run_measured(cmd, **kw) if memory else (0.0, 0.0, 0.0)
    return statistics.median(walls), pss, rss


def watch_latency(work: Path, rounds: int = 3) -> list[float]:
    """Seconds from a save to the verdict of that topic, in a warm `check --watch`."""
    folder = work / "watched"
    shutil.copytree(KIT / "solutions", folder)
    cmd = [sys.executable, "-m", "gradkit", "check", "detach", "retain_graph", "--target",
           str(folder), "--watch", "--watch-rounds", str(rounds + 1), "--lang", "en"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=work)
    seen, latencies = 0, []
    original = (folder / "detach.py").read_text(encoding="utf-8")
    assert proc.stdout is not None  # stdout=PIPE
    for raw in proc.stdout:
        if raw.startswith("Total:"):
            seen += 1
            if seen > rounds:
                continue
            time.sleep(0.5)
            # Alternate a wrong and a right answer: one wrong topic, then the fix.
            text = original + ("\n\ndef straight_through_round(x):\n    return torch.round(x)\n"
                               if seen % 2 else "\n")
            (folder / "detach.py").write_text(text, encoding="utf-8")
        found = re.search(r"again in ([0-9.]+) s", raw)
        if found:
            latencies.append(float(found.group(1)))
    proc.wait()
    return latencies


def batch_figures(work: Path, buggy: Path | None) -> dict[str, float]:
    """A class of identical-size submissions through `grade-batch` on warm graders: what an
    extra submission costs beyond its grading ("batch_overhead", "batch_extra",
    "batch_grading", seconds) and submissions per minute with 2 jobs ("batch_per_minute")."""
    import json

    subs = work / "class"
    subs.mkdir()
    sources = [KIT / "solutions"] + ([buggy] if buggy else [])
    for i in range(BATCH_SIZE):
        shutil.copytree(sources[i % len(sources)], subs / f"student{i:02d}")

    def batch(folder: Path, out: Path, jobs: int) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gradkit", "grade-batch", str(folder), "--csv",
                        str(out / "grades.csv"), "--jobs", str(jobs), "--lang", "en"], cwd=KIT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start

    classes = {}
    for count in (1, 2):
        classes[count] = work / f"batch-in-{count}"
        classes[count].mkdir()
        for i in range(count):
            shutil.copytree(KIT / "solutions", classes[count] / f"student{i:02d}")
    t1 = batch(classes[1], work / "batch-1", 1)
    t2 = batch(classes[2], work / "batch-2", 1)
    graded = json.loads((work / "batch-2" / "results" / "student01.json").read_text())
    grading = float(graded.get("execution_time", 0.0))
    wall = batch(subs, work / "class-out", BATCH_JOBS)
    return {"batch_extra": t2 - t1, "batch_grading": grading,
            "batch_overhead": max(0.0, t2 - t1 - grading),
            "batch_per_minute": BATCH_SIZE / wall * 60}


def sandbox_level() -> str | None:
    """The isolation level this machine allows, or None when it is "none" or unavailable."""
    from .untrusted import isolation

    try:
        level = isolation.level()
    except isolation.IsolationError:
        return None
    return None if level == "none" else level


class CpuHog:
    """A process that keeps one core busy (a student's laptop busy with other work) while
    the block runs; killed after."""

    def __enter__(self) -> CpuHog:
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def measure(work: Path, buggy: Path | None, repeats: int) -> dict[str, float]:
    """Every figure once (medians of ``repeats`` runs): seconds, MB and submissions/minute.
    ``work``: a folder of this measurement's own (made here)."""
    work.mkdir()
    out = str(work / "r.json")
    got: dict[str, float] = {}
    got["torch"] = median_run([sys.executable, "-c", "import torch"], repeats)[0]
    # The grading plan (gradkit/plan.py): the first grading after an install draws every
    # example (and writes the plan down); every later one replays what it passes. Each
    # first run gets a plan folder of its own, still empty; the first of them is the one
    # the rest of the measurement (and its child processes) then uses.
    plans = [work / f"plan-{i}" for i in range(repeats)]
    got["first"] = statistics.median(
        median_run(grade_cmd("solutions", out), 1, env={**os.environ, "GRADKIT_PLAN_DIR": str(p)})[0]
        for p in plans)
    os.environ["GRADKIT_PLAN_DIR"] = str(plans[0])
    got["correct"], got["pss"], got["rss"] = median_run(grade_cmd("solutions", out), repeats,
                                                        memory=True)
    if buggy:
        got["buggy"], b_pss, b_rss = median_run(grade_cmd(buggy, out), repeats, memory=True)
        got["pss"], got["rss"] = max(got["pss"], b_pss), max(got["rss"], b_rss)
        got["topic"] = median_run(grade_cmd(buggy, out, BUGGY_TOPIC), repeats)[0]
    if sandbox_level():
        got["unisolated"] = median_run(grade_cmd("solutions", out), repeats,
                                       env={**os.environ, "GRADKIT_ISOLATION": "none"})[0]
    latencies = watch_latency(work)
    if latencies:
        got["watch"] = max(latencies)
    got.update(batch_figures(work, buggy))
    got["one_core"], got["one_core_pss"], _ = median_run(grade_cmd("solutions", out), repeats, memory=True,
                                                         cpus={min(os.sched_getaffinity(0))})
    return got


class Row:
    """One figure of the table: how to show it in each column, and its target."""

    def __init__(self, label: str, key: str, target: float | None, unit: str = " s",
                 ratio: bool = False, at_least: bool = False, loaded_target: float | None = None):
        self.label, self.key, self.target, self.unit = label, key, target, unit
        self.ratio, self.at_least = ratio, at_least
        self.loaded_target = target if loaded_target is None else loaded_target

    def cell(self, got: dict[str, float]) -> str:
        if self.key not in got:
            return "-"
        value = got[self.key]
        shown = f"{value:.2f}{self.unit}"
        if self.unit == " s" and self.key != "torch":  # every time also as a ratio
            shown += f" = {value / got['torch']:.2f}x"
        return shown

    def outcome(self, got: dict[str, float], loaded: bool) -> str:
        target = self.loaded_target if loaded else self.target
        if self.key not in got or target is None:
            return ""
        value = got[self.key] / got["torch"] if self.ratio else got[self.key]
        met = value >= target if self.at_least else value <= target
        if met:
            return "ok"
        return f"MISSED by {abs(value / target - 1):.0%}"

    def target_text(self) -> str:
        if self.target is None:
            return "(reference)"
        unit = "x" if self.ratio else self.unit.strip()
        sign = ">=" if self.at_least else "<="
        text = f"{sign} {self.target:g}{unit}"
        if self.loaded_target != self.target:
            text += f" ({self.loaded_target:g}{unit} loaded)"
        return text


ROWS = [
    Row('python -c "import torch"', "torch", None),
    Row("correct full, first grading (no plan)", "first", None, ratio=True),
    Row("correct full submission", "correct", TARGET_RATIO, ratio=True),
    Row("buggy full submission", "buggy", TARGET_BUGGY_RATIO, ratio=True),
    Row(f"one buggy topic ({BUGGY_TOPIC})", "topic", TARGET_TOPIC_S),
    Row("same correct run, no isolation", "unisolated", None, ratio=True),
    Row("check --watch: save to verdict", "watch", TARGET_WATCH_S,
        loaded_target=TARGET_WATCH_LOADED_S),
    Row("batch: submissions per minute", "batch_per_minute", TARGET_PER_MINUTE, unit="/min",
        at_least=True),
    Row("batch: an extra submission's overhead", "batch_overhead", None),
    Row("one core, correct submission", "one_core", TARGET_ONE_CORE_S),
    Row("peak memory, all processes (PSS)", "pss", TARGET_MB, unit=" MB"),
    Row("peak memory, all processes (RSS)", "rss", None, unit=" MB"),
]


def table(idle: dict[str, float], loaded: dict[str, float]) -> str:
    lines = [f"{'figure':<40} {'idle':>18} {'':<10} {'under load':>18} {'':<10} target"]
    for row in ROWS:
        lines.append(f"{row.label:<40} {row.cell(idle):>18} {row.outcome(idle, False):<10} "
                     f"{row.cell(loaded):>18} {row.outcome(loaded, True):<10} {row.target_text()}")
    return "\n".join(lines)


def fits(got: dict[str, float]) -> str:
    """The LMS limits, from the one-core run: PrairieLearn's 30 s on one core, Gradescope's
    768 MB and half a CPU (at most twice the one-core time) within 10 minutes. On one core
    (or half a CPU) a grading is never split, so its memory is the one-core run's."""
    one, pss = got["one_core"], got["one_core_pss"]
    prairie = "fits" if one < PRAIRIELEARN_S else "DOES NOT FIT"
    half = 2 * one
    gradescope = "fits" if half < GRADESCOPE_S and pss < GRADESCOPE_MB else "DOES NOT FIT"
    return (f"PrairieLearn (30 s, one core): {prairie} ({one / PRAIRIELEARN_S:.0%} of the limit); "
            f"Gradescope (768 MB, 0.5 CPU): {gradescope} (~{half:.0f} s of {GRADESCOPE_S} s, "
            f"{pss:.0f} of {GRADESCOPE_MB} MB)")


def main(repeats: int = 3) -> None:
    work = Path(tempfile.mkdtemp(prefix="gradkit-bench-"))
    try:
        buggy = build_buggy(work / "buggy")
        idle = measure(work / "idle", buggy, repeats)
        with CpuHog():
            loaded = measure(work / "loaded", buggy, repeats)
        print(f"{os.cpu_count()} cores; medians of {repeats} runs; \"under load\": the same with "
              "one CPU hog (`python -c 'while True: pass'`) running beside it; time ratios are "
              'to `python -c "import torch"` in the same column')
        print(table(idle, loaded))
        if not buggy:
            print("buggy submission figures skipped: the kit's tests/mutants are not in this bundle")
        if "unisolated" not in idle:
            print("no isolation on this machine: the sandbox's cost is not measured")
        print("idle: " + fits(idle))
        print("under load: " + fits(loaded))
        from . import class_bench
        class_bench.report()  # the class view on 5,000 synthetic results files
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(os.environ.get("GRADKIT_BENCH_REPEATS", "3")))
