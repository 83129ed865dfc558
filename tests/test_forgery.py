"""Submissions written to cheat (tests/submissions/cheaters/): every route into the
grader's facts either loses the function's points or is flagged for review, and none
reaches full marks unflagged. Flags reach the instructor's JSON and the batch CSV, and
never a student's view."""

import json
import os

import pytest

from gradkit import review
from gradkit.reporters import formats, gradescope, prairielearn
from gradkit.results import GradeResult
from tests.kit import SOLUTIONS, SUBMISSIONS, grade_many

CHEATERS = SUBMISSIONS / "cheaters"
FORGERIES = SUBMISSIONS / "forgeries"

# folder, topic, function, and what must happen: "lost" (points lost, and flagged),
# "flagged" (full marks are possible only with a flag), or the rule that must gate it to 0.
ROUTES = [
    ("wrap_call", "manual_grad", "linear_mse_grad", "integrity"),
    # Patched at import: the first call (another function) is charged and the patch put
    # back, so these answer for themselves, honestly.
    ("rewrite_facts", "detach", "straight_through_round", "lost"),
    ("rewrite_facts", "grad_accumulation", "zero_grad", "lost"),
    ("fresh_engine", "manual_grad", "linear_mse_grad", "no_autograd"),
    ("forward_ad", "manual_grad", "linear_mse_grad", "no_autograd"),
    ("closure_init", "gd_loop", "gradient_descent", "no_torch_optim"),
    ("tensorbase_is_leaf", "graph_leaves", "is_leaf", "is_leaf_does_not_read_is_leaf"),
    ("hidden_mutation", "manual_grad", "linear_mse_grad", "integrity"),
    ("pop_mode", "manual_grad", "linear_mse_grad", "integrity"),
    ("thread_engine", "manual_grad", "linear_mse_grad", "no_autograd"),
    # A child process's work is beyond the watches: starting one breaks the rule.
    ("fork_engine", "manual_grad", "linear_mse_grad", "no_autograd"),
    ("ctypes_fork_engine", "manual_grad", "linear_mse_grad", "no_autograd"),
    ("encode_patch", "manual_grad", "linear_mse_grad", "integrity"),
    ("code_swap", "manual_grad", "linear_mse_grad", "integrity"),
    ("gc_silence", "manual_grad", "linear_mse_grad", "flagged"),
    ("frame_walk", "manual_grad", "linear_mse_grad", "flagged"),
]


@pytest.fixture(scope="module")
def cheated(tmp_path_factory):
    os.environ.setdefault("GRADKIT_EXAMPLES", "5")
    work = tmp_path_factory.mktemp("cheaters")
    jobs, seen = [], set()
    for folder, topic, _, _ in ROUTES:
        if (folder, topic) not in seen:
            seen.add((folder, topic))
            jobs.append({"name": f"{folder}-{topic}", "folder": str(CHEATERS / folder),
                         "topics": [topic], "timeout": 10.0})
    jobs.append({"name": "solutions", "folder": str(SOLUTIONS),
                 "topics": ["manual_grad", "graph_leaves"], "timeout": 10.0})
    return grade_many(jobs, work)


@pytest.mark.parametrize("folder,topic,function,expect", ROUTES,
                         ids=[f"{r[0]}-{r[2]}" for r in ROUTES])
def test_no_route_reaches_full_marks_unflagged(cheated, folder, topic, function, expect):
    result = cheated[f"{folder}-{topic}"]
    fn = result.function(topic, function)
    flagged = bool(result.flags or result.review)
    assert fn.score < fn.max_score or flagged, (fn.score, fn.max_score)
    if expect in ("flagged", "lost"):
        assert flagged and (fn.score < fn.max_score or expect == "flagged")
    else:
        # Where the kernel counts engine runs, a changed grader that hid autograd is also
        # caught by that count, which gates first; the change is still named (below).
        kernel = result.environment["isolation"].get("rules") == "kernel"
        gates = {expect} | ({"no_autograd"} if kernel and expect == "integrity" else set())
        assert fn.score == 0 and fn.gated_by in gates, (fn.score, fn.gated_by)
    if expect == "integrity":  # the student reads the reason, the instructor the flag
        assert any("modified the grader or torch" in c.message for c in fn.failed)
        assert any(f["event"] == "tampered" for f in result.flags)


def test_reach_in_code_is_flagged_in_the_scan(cheated):
    for name in ("wrap_call-manual_grad", "gc_silence-manual_grad", "thread_engine-manual_grad",
                 "fresh_engine-manual_grad", "closure_init-gd_loop"):
        assert cheated[name].review, name
    assert any(f["event"] == "gc.get_objects" and f.get("file") == "manual_grad.py"
               for f in cheated["gc_silence-manual_grad"].flags)
    assert any(f["event"] == "sys._getframe" for f in cheated["frame_walk-manual_grad"].flags)


def test_the_reference_solutions_raise_no_flag(cheated):
    result = cheated["solutions"]
    assert result.score == result.max_score
    assert not result.flags and not result.review
    assert review.scan(str(SOLUTIONS)) == []


def test_flags_reach_the_instructor_and_never_the_student(cheated):
    result = cheated["gc_silence-manual_grad"]
    data = json.loads(formats.render(result, "json"))
    assert data["flags"] and data["review"]
    for shown in (json.dumps(gradescope.to_dict(result)), json.dumps(prairielearn.to_dict(result)),
                  formats.render(result, "junit")):
        assert "gc.get_objects" not in shown and "review" not in shown.lower()
    assert "gc.get_objects" in review.column(result)
    again = GradeResult.from_dict(result.to_dict())
    assert again.flags == result.flags and again.review == result.review


def test_the_scan_names_what_reaches_in(tmp_path):
    (tmp_path / "manual_grad.py").write_text(
        "import sys, ctypes\nfrom inspect import currentframe\n"
        "f = sys._getframe().f_back\nm = sys.modules['gradkit']\n"
        "c = (lambda: 0).__closure__\nopen('/proc/self/mem')\n"
        "getattr(__builtins__, 'ex' + 'ec')\nimport os\nos.dup2(3, 1)\n"
        "import torch\ne = torch._C._ImperativeEngine()\n", encoding="utf-8")
    what = {h["what"] for h in review.scan(str(tmp_path))}
    assert {"ctypes", "inspect", "_getframe", "f_back", "sys.modules", "__closure__", "/proc",
            "getattr()", "dup2", "_ImperativeEngine", "torch._C"} <= what, what


# Forgeries by a student who has read the engine (tests/submissions/forgeries/README.md),
# two per route: folder, the rule that must take linear_mse_grad's points, and the flag an
# instructor sees. Each of them scored 10/10 with no flag before the reply channel was
# signed and the engine's own counter was read.
FORGED = [
    ("socket_reply", "integrity", "tampered"),      # answers every request itself
    ("socket_relay", "integrity", "tampered"),      # rewrites the harness's replies
    ("mode_swap", "no_autograd", "engine_unseen"),  # mode off, a fresh engine, mode back
    ("watch_reset", "no_autograd", "engine_unseen"),  # backward(), then the watch cleared
    ("key_exclude", "no_autograd", "engine_unseen"),  # Python key excluded, the real engine
    ("spy_bypass", "no_autograd", "engine_unseen"),   # dispatch disabled, wrapper swapped out
    ("dual_hidden", "no_autograd", "engine_unseen"),  # forward AD, Python key excluded
    ("import_trace", "no_autograd", "engine_outside_call"),  # make_fx at import
    ("import_thread", "no_autograd", "engine_outside_call"),  # make_fx in a thread, between calls
]


@pytest.fixture(scope="module")
def forged(tmp_path_factory):
    os.environ.setdefault("GRADKIT_EXAMPLES", "5")
    work = tmp_path_factory.mktemp("forgeries")
    # Tracing with make_fx takes seconds of CPU at import: time enough on a loaded machine,
    # so that the points are lost to the rule, never to the clock.
    jobs = [{"name": folder, "folder": str(FORGERIES / folder), "topics": ["manual_grad"],
             "timeout": 120.0, "function_budget": 240.0} for folder, _, _ in FORGED]
    return grade_many(jobs, work)


@pytest.mark.parametrize("folder,rule,flag", FORGED, ids=[f[0] for f in FORGED])
def test_a_forged_rule_verdict_loses_the_points(forged, folder, rule, flag):
    result = forged[folder]
    fn = result.function("manual_grad", "linear_mse_grad")
    assert fn.score == 0 and fn.gated_by == rule, (fn.score, fn.gated_by)
    assert any(f["event"] == flag and f["function"] == "manual_grad.linear_mse_grad"
               for f in result.flags), result.flags
    if rule == "integrity":  # the worker was the student's: nothing it said is kept
        assert result.score == 0, result.score


def test_a_forged_reply_is_named_to_the_instructor_not_the_student(forged):
    result = forged["socket_reply"]
    detail = " ".join(f.get("detail", "") for f in result.flags if f["event"] == "tampered")
    assert "did not sign" in detail
    shown = json.dumps(gradescope.to_dict(result))
    assert "did not sign" not in shown and "modified the grader or torch" in shown


# Forgeries that sign their replies with the key they read out of the worker's own memory
# (key_forge/manual_grad.py, ROUTE): every reply is well formed and signed, so only an
# observation the student's process cannot reach tells (gradkit/untrusted/engine_probe.py):
# the kernel's count of the run's engine entries, threads and forked children included.
KEY_ROUTES = ["call", "thread", "fork"]


@pytest.fixture(scope="module")
def key_forged(tmp_path_factory):
    from gradkit.untrusted import engine_probe
    why = engine_probe.unavailable()
    if why is not None:
        pytest.skip(f"the kernel will not count engine runs here ({why}): the rule is only "
                    "the worker's, and the results say so (tests/test_engine_probe.py)")
    os.environ.setdefault("GRADKIT_EXAMPLES", "5")
    work = tmp_path_factory.mktemp("key_forge")
    source = (FORGERIES / "key_forge" / "manual_grad.py").read_text(encoding="utf-8")
    jobs = []
    for route in KEY_ROUTES:
        folder = work / f"route-{route}"
        folder.mkdir()
        variant = source.replace('ROUTE = "call"', f'ROUTE = "{route}"')
        assert variant != source or route == "call"
        (folder / "manual_grad.py").write_text(variant, encoding="utf-8")
        for path in (work, folder, folder / "manual_grad.py"):  # a sandbox uid reads it
            path.chmod(0o755 if path.is_dir() else 0o644)
        jobs.append({"name": route, "folder": str(folder), "topics": ["manual_grad"],
                     "timeout": 60.0})
    return grade_many(jobs, work)


@pytest.mark.parametrize("route", KEY_ROUTES)
def test_a_reply_signed_with_the_stolen_key_loses_the_rule_s_points(key_forged, route):
    result = key_forged[route]
    assert result.environment["isolation"]["rules"] == "kernel"
    for fn in result.functions:
        assert fn.score == 0 and fn.gated_by == "no_autograd", (fn.function, fn.score, fn.gated_by)
        assert any(f["event"] == "engine_kernel" and f["function"] == f"manual_grad.{fn.function}"
                   and "the reply said no autograd" in f["detail"] for f in result.flags), result.flags
