"""The worker: student code runs there, and every way it can misbehave has a
plain-language outcome; the topics' rules are watched at run time."""

import os
import shutil
import tempfile
import textwrap

import pytest
import torch

from gradkit.untrusted.sandbox import Submission, zygote as make_zygote
from gradkit.verdicts import FatalStudentError, StudentError


@pytest.fixture(scope="module")
def zygote():
    return make_zygote()  # one per process, reused by every run


@pytest.fixture
def scratch():
    """The grader's scratch: in uid mode the sandbox's home is inside it, so other users
    must be able to pass through (pytest's own folders are root's alone)."""
    folder = tempfile.mkdtemp(prefix="gradkit-test-")
    os.chmod(folder, 0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def submit(zygote, tmp_path, scratch):
    subs = []

    def make(source, timeout=10.0):  # first torch.func or torch.optim use imports dynamo: slow
        folder = tmp_path / f"sub{len(subs)}"
        folder.mkdir()
        (folder / "m.py").write_text(textwrap.dedent(source))
        sub = Submission(str(folder), zygote, scratch, timeout=timeout)
        subs.append(sub)
        return sub

    yield make
    for sub in subs:
        sub.close()


X = torch.tensor([1.0, 2.0])

WATCHED = """
import torch
def plain(x):
    return 2 * x
def by_backward(x):
    x = x.clone().requires_grad_(); (x ** 2).sum().backward(); return x.grad
def by_grad(x):
    x = x.clone().requires_grad_(); return torch.autograd.grad((x ** 2).sum(), x)[0]
def by_func(x):
    return torch.func.grad(lambda t: (t ** 2).sum())(x)
def by_engine(x):
    x = x.clone().requires_grad_(); loss = (x ** 2).sum()
    return torch.autograd.Variable._execution_engine.run_backward(
        (loss,), (torch.ones(()),), False, False, (x,), False, False)[0]
def by_optim(x):
    p = torch.nn.Parameter(x.clone()); torch.optim.SGD([p], lr=0.1); return x
"""


@pytest.mark.parametrize("fn", ["by_backward", "by_grad", "by_func", "by_engine"])
def test_every_route_to_autograd_is_noticed(submit, fn):
    reply = submit(WATCHED).call("m", fn, [X])
    assert reply.facts["autograd_used"] and torch.equal(reply.value, 2 * X)


def test_plain_code_is_not_flagged(submit):
    sub = submit(WATCHED)
    sub.call("m", "by_backward", [X])
    reply = sub.call("m", "plain", [X])  # the flag is per call
    assert not reply.facts["autograd_used"] and not reply.facts["optim_used"]


def test_torch_optim_is_noticed(submit):
    assert submit(WATCHED).call("m", "by_optim", [X]).facts["optim_used"]


def test_in_place_changes_to_inputs_are_reported(submit):
    sub = submit("def f(x, y):\n    y.add_(1)\n    return x\n")
    assert sub.call("m", "f", [X, X.clone()]).mutated == [1]


def test_leaves_and_their_grads_are_reported(submit):
    sub = submit("def f(x):\n    (x * 3).sum().backward()\n    return None\n")
    reply = sub.call("m", "f", [X], leaves=[0])
    assert torch.equal(reply.facts["arg_grads"]["0"]["grad"], torch.full((2,), 3.0))


@pytest.mark.parametrize("body, kind, text", [
    ("while True: pass", "timeout", "took longer than 0.5 s"),
    ("import os; os._exit(1)", "crash", "stopped before answering"),
    ("import sys; sys.exit(3)", "exit", "sys.exit(3)"),
    ("raise KeyboardInterrupt", "base_exception", "KeyboardInterrupt"),
    ("raise NotImplementedError('f is not implemented yet')", "not_implemented", "not implemented yet"),
    ("return object()", "bad_return", "does not accept"),
    ("print('x' * 2_000_000)", "output_flood", "printed more than"),
])
def test_misbehaviour_costs_the_function_with_a_plain_reason(submit, body, kind, text):
    sub = submit(f"def f(x):\n    {body}\n\ndef g(x):\n    return x + 1\n", timeout=0.5)
    with pytest.raises(FatalStudentError) as err:
        sub.call("m", "f", [X])
    assert err.value.kind == kind and text in err.value.message
    with pytest.raises(FatalStudentError):  # the function stays broken, at once
        sub.call("m", "f", [X])
    assert torch.equal(sub.call("m", "g", [X]).value, X + 1)  # the rest still grades


def test_an_ordinary_exception_names_the_line(submit):
    sub = submit("def f(x):\n    return x @ x.T @ None\n")
    with pytest.raises(StudentError) as err:
        sub.call("m", "f", [X])
    assert "TypeError" in err.value.message and "m.py, line 2" in err.value.message


def test_missing_module_and_function_say_which(submit):
    sub = submit("def f(x):\n    return x\n")
    with pytest.raises(FatalStudentError, match="no function named nope"):
        sub.call("m", "nope", [X])
    with pytest.raises(FatalStudentError, match="the submission has no other.py"):
        sub.call("other", "f", [X])


def test_an_import_time_crash_is_reported(submit):
    sub = submit("raise RuntimeError('boom at import')\ndef f(x):\n    return x\n")
    with pytest.raises(FatalStudentError, match="importing m.py failed: RuntimeError: boom"):
        sub.call("m", "f", [X])


def test_modules_in_a_subfolder_are_found(tmp_path, zygote, scratch):
    (tmp_path / "sub" / "exercises").mkdir(parents=True)
    (tmp_path / "sub" / "exercises" / "m.py").write_text("def f(x):\n    return x * 3\n")
    sub = Submission(str(tmp_path / "sub"), zygote, scratch)
    try:
        assert torch.equal(sub.call("m", "f", [X]).value, 3 * X)
    finally:
        sub.close()


def test_student_prints_never_reach_the_protocol(submit):
    sub = submit("import sys\ndef f(x):\n    print('noise'); sys.stdout.flush()\n"
                 "    import os; os.write(1, b'raw noise')\n    return x\n")
    assert torch.equal(sub.call("m", "f", [X]).value, X)


GRAPH = {"dtype": "float64", "device": "cpu", "nodes": [
    {"op": "leaf", "value": [1.0, 2.0], "requires_grad": True},
    {"op": "leaf", "value": [3.0, 4.0], "requires_grad": True, "grad": "graph",
     "grad_value": [1.0, 1.0]},
    {"op": "mul", "args": [0, 1]},
    {"op": "sum", "args": [2]},
]}


def test_graphs_are_built_in_the_worker_and_bound_to_arguments(submit):
    sub = submit("def f(t, params):\n    return [t.grad_fn.name(), len(params)]\n")
    reply = sub.call("m", "f", [None, None], graph=GRAPH, bind={0: 3, 1: [0, 1]})
    assert reply.value == ["SumBackward0", 2]
    # The grad from create_graph=True travels as facts: it carries a graph, still the same object.
    facts = reply.facts["arg_grads"]["1.1"]
    assert facts["grad_has_grad_fn"] and facts["same_object"]
    assert torch.equal(facts["grad"], torch.tensor([6.0, 8.0], dtype=torch.float64))


def test_a_replaced_grad_is_not_the_same_object(submit):
    sub = submit("import torch\ndef f(params):\n    params[1].grad = torch.zeros(2, dtype=torch.float64)\n")
    facts = sub.call("m", "f", [None], graph=GRAPH, bind={0: [0, 1]}).facts["arg_grads"]
    assert not facts["0.1"]["same_object"] and facts["0.0"]["grad"] is None


def test_is_leaf_reads_count_only_in_student_code(submit):
    sub = submit("def reads(t):\n    return t.is_leaf\n"
                 "def walks(t):\n    return t.grad_fn is None\n")
    assert sub.call("m", "reads", [None], graph=GRAPH, bind={0: 0}).facts["is_leaf_read"]
    # The harness reads is_leaf itself (for the grad facts): that is not the student's read.
    assert not sub.call("m", "walks", [None], graph=GRAPH, bind={0: 0}).facts["is_leaf_read"]


def test_the_vjp_probe_differentiates_the_returned_tensor(submit):
    sub = submit("def f(x):\n    return 3 * x\ndef cut(x):\n    return (3 * x).detach()\n")
    v = torch.tensor([0.5, -2.0])
    reply = sub.call("m", "f", [X], leaves=[0], vjp={"wrt": 0, "cotangent": v})
    assert torch.equal(reply.facts["vjp"]["grad"], 3 * v)
    assert not reply.facts["autograd_used"]  # the probe's own backward is not the student's
    cut = sub.call("m", "cut", [X], leaves=[0], vjp={"wrt": 0, "cotangent": v})
    assert cut.facts["vjp"] == {"problem": "no_grad_fn"}


def test_backward_calls_are_counted(submit):
    sub = submit("def f(x):\n    for _ in range(3):\n        (x * x).sum().backward()\n")
    assert sub.call("m", "f", [X], leaves=[0]).facts["backward_calls"] == 3


_THREADED_GRADER = """
import sys, tempfile, textwrap, threading, time
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # a Dask worker's, say
from gradkit.untrusted.sandbox import Submission, zygote
factory = zygote()  # forked while that thread runs: the count survives, the thread does not
import torch
folder, scratch = sys.argv[1], tempfile.mkdtemp(prefix="gradkit-test-")
sub = Submission(folder, factory, scratch, timeout=10.0)
x = torch.tensor([1.0, 2.0])
sub.call("m", "by_backward", [x])
print(sub.call("m", "plain", [x]).facts["autograd_used"])
sub.close()
"""


def test_a_grader_with_threads_does_not_taint_later_calls(tmp_path):
    # Python's thread count is inherited by a fork, the threads are not: a worker forked
    # from a grader with threads once took every engine run as "a thread of the
    # submission's" and charged it to every later call (plain code flagged as autograd).
    import subprocess
    import sys
    from gradkit.runner import KIT_DIR
    (tmp_path / "m.py").write_text(textwrap.dedent(WATCHED))
    out = subprocess.run([sys.executable, "-c", _THREADED_GRADER, str(tmp_path)], cwd=KIT_DIR,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1:] == ["False"], out.stderr[-2000:]
