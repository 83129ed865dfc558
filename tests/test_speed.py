"""What makes grading and the kit's own tests fast keeps meaning what it meant: the
cached derandomized seed draws hypothesis's very examples, the dispatch modes import no
torch._dynamo, shared gradings fail loudly, the bench judges its figures right."""

import json
import os
import subprocess
import sys

import hypothesis
import pytest
import torch
from hypothesis import strategies as st

from gradkit import bench, testing
from gradkit.testing import given
from tests.kit import _wait_for_results, cli_env


def _draws(decorate, *ids):
    """The values a derandomized check draws, once per parametrization id (the node id
    hypothesis's pytest plugin adds to the digest)."""
    seen = []
    profile = hypothesis.settings(derandomize=True, database=None, max_examples=7)
    hypothesis.settings.register_profile("speed-test", profile)
    previous = hypothesis.settings.get_current_profile_name()
    hypothesis.settings.load_profile("speed-test")
    try:
        check = decorate(seen)
        runs = []
        for node in ids:
            inner = check.hypothesis.inner_test
            inner._hypothesis_internal_add_digest = node
            seen.clear()
            check(device="cpu", dtype=torch.float32)
            runs.append(list(seen))
        return runs
    finally:
        hypothesis.settings.load_profile(previous)


def test_the_cached_seed_draws_what_hypothesis_itself_would(monkeypatch):
    sources = []
    clean = testing._clean_source
    monkeypatch.setattr(testing, "_clean_source", lambda text: sources.append(text) or clean(text))

    def ours(seen):
        @given(x=st.integers(0, 10**9))
        def check(device, dtype, x):
            seen.append(x)
        return check

    def plain(seen):  # the same check's source, hypothesis deriving the seed on every call
        given = hypothesis.given  # (an indented check's digest includes its decorator's text)

        @given(x=st.integers(0, 10**9))
        def check(device, dtype, x):
            seen.append(x)
        return check

    nodes = [b"a.py::check[cpu-float32]", b"a.py::check[cpu-float64]", b"a.py::check[cpu-float32]"]
    cached, derived = _draws(ours, *nodes), _draws(plain, *nodes)
    assert cached == derived and len(cached[0]) == 7
    assert cached[0] == cached[2] and cached[0] != cached[1]  # one seed per parametrization
    assert len(sources) == 1  # the check's source read once, not twice per call


def test_the_cached_seed_follows_an_edited_check(tmp_path):
    """A check edited while the process lives (an instructor authoring checks, a warm
    grader) gets a new seed, as hypothesis would give it."""
    script = (
        "import hypothesis, importlib, os, sys, torch\n"
        "from hypothesis import strategies as st\n"
        "hypothesis.settings.register_profile('p', hypothesis.settings(derandomize=True,"
        " database=None, max_examples=5))\n"
        "hypothesis.settings.load_profile('p')\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "path = os.path.join(sys.argv[1], 'edited_check.py')\n"
        "draws = []\n"
        "for body in ('x', 'x + 0'):\n"
        "    with open(path, 'w') as fh:\n"
        "        fh.write('from gradkit.testing import given\\nfrom hypothesis import strategies as st\\n'\n"
        "                 'seen = []\\n@given(x=st.integers(0, 10**9))\\n'\n"
        "                 'def check(device, dtype, x):\\n    seen.append(' + body + ')\\n')\n"
        "    os.utime(path, ns=(len(draws) * 10**9, len(draws) * 10**9))\n"
        "    sys.modules.pop('edited_check', None)\n"
        "    m = importlib.import_module('edited_check')\n"
        "    m.check(device='cpu', dtype=torch.float32)\n"
        "    draws.append(m.seen)\n"
        "print(draws[0] != draws[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, env=cli_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_the_dispatch_modes_import_no_dynamo():
    """torch wraps a TorchDispatchMode's handler in _disable_dynamo, which imports
    torch._dynamo (800 modules) on the first op; the kit's modes opt out, and still see
    every op inside a backward (the autograd rule)."""
    script = (
        "import sys, torch\n"
        "from gradkit.untrusted import watch\n"
        "watch.warm_up()\n"
        "spy = watch.AutogradWatch()\n"
        "mode = watch.EngineSpyMode(spy)\n"
        "x = torch.ones(3, requires_grad=True)\n"
        "with mode:\n"
        "    y = (x * x).sum()\n"
        "    seen_forward = spy.used\n"
        "    y.backward()\n"
        "print(seen_forward, spy.used, 'torch._dynamo' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=cli_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "False"]


def _jobs(tmp_path, *names):
    jobs = [{"name": n, "out": str(tmp_path / f"result-{n}.json")} for n in names]
    (tmp_path / "claims").mkdir()
    return jobs, tmp_path / "claims"


def test_waiting_for_shared_gradings_fails_at_once_on_an_error(tmp_path):
    jobs, claims = _jobs(tmp_path, "a", "b")
    (tmp_path / "result-a.json").write_text("{}")
    (claims / "result-b.json").write_text(str(os.getpid()))
    (tmp_path / "result-b.json.error").write_text("Traceback: the kit broke")
    with pytest.raises(RuntimeError, match="the kit broke"):
        _wait_for_results(jobs, claims)


def test_waiting_for_shared_gradings_fails_when_the_grader_is_gone(tmp_path):
    jobs, claims = _jobs(tmp_path, "a")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (claims / "result-a.json").write_text(str(gone.pid))
    with pytest.raises(RuntimeError, match="gone without a result"):
        _wait_for_results(jobs, claims)


def test_waiting_for_shared_gradings_waits_for_a_live_grader(tmp_path):
    jobs, claims = _jobs(tmp_path, "a")
    (claims / "result-a.json").write_text(str(os.getpid()))  # alive: this very process
    with pytest.raises(TimeoutError):
        _wait_for_results(jobs, claims, patience_s=0.5)
    (tmp_path / "result-a.json").write_text(json.dumps({}))
    _wait_for_results(jobs, claims, patience_s=0.5)


def test_the_bench_judges_both_columns_against_their_targets():
    idle = {"torch": 2.0, "correct": 5.0, "watch": 0.8, "batch_per_minute": 40.0, "pss": 700.0}
    loaded = {"torch": 4.0, "correct": 16.0, "watch": 1.5, "batch_per_minute": 20.0}
    rows = {row.key: row for row in bench.ROWS}
    assert rows["correct"].outcome(idle, False) == "ok"  # 2.5x
    assert rows["correct"].outcome(loaded, True) == "MISSED by 33%"  # 4x of 3x
    assert rows["watch"].outcome(loaded, True) == "ok"  # 1.5 s: within 2 s under load
    assert rows["watch"].outcome({**idle, "watch": 1.5}, False).startswith("MISSED")
    assert rows["batch_per_minute"].outcome(idle, False) == "ok"  # at least 30
    assert rows["batch_per_minute"].outcome(loaded, True) == "MISSED by 33%"
    assert rows["pss"].outcome(idle, False) == "MISSED by 17%"
    assert rows["pss"].cell(loaded) == "-" and rows["pss"].outcome(loaded, True) == ""
    assert "5.00 s = 2.50x" in rows["correct"].cell(idle)
    shown = bench.table(idle, loaded)
    assert all(row.label in shown for row in bench.ROWS)


def test_the_cpu_hog_is_gone_after_the_block():
    with bench.CpuHog() as hog:
        assert hog.proc.poll() is None
    assert hog.proc.poll() is not None
