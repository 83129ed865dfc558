"""The kit's catalog: topics, their functions, parameters and points.

This is the authority on points (the curriculum's numbers are suggestions).
Every function listed here must have checks in ``checks/<topic>.py``; the
kit's own tests hold the two to each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    topic: str
    name: str
    params: tuple[str, ...]
    points: float


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    title_zh: str
    functions: tuple[Function, ...]

    def function(self, name: str) -> Function:
        for fn in self.functions:
            if fn.name == name:
                return fn
        raise KeyError(f"{self.name} has no function {name}")


def _topic(name: str, title: str, title_zh: str, *functions: tuple[str, str, float]) -> Topic:
    return Topic(name, title, title_zh,
                 tuple(Function(name, fn, tuple(params.split()), pts) for fn, params, pts in functions))


TOPICS: tuple[Topic, ...] = (
    _topic("manual_grad", "Derive gradients by hand", "手动求梯度",
           ("linear_mse_grad", "x y w b", 2),
           ("sigmoid_neuron_grad", "x w t", 2),
           ("matrix_mse_grad", "X y w", 2),
           ("two_layer_grads", "X y W1 b1 W2 b2", 4)),
    _topic("graph_leaves", "The graph: is_leaf, grad_fn, retain_grad", "计算图与叶子节点",
           ("is_leaf", "t", 1),
           ("grad_fn_names", "t", 2),
           ("leaves_receiving_grad", "out candidates", 2),
           ("intermediate_grad", "x", 1)),
    _topic("retain_graph", "Backward more than once", "保留计算图",
           ("backward_twice", "z x", 1),
           ("two_losses_grads", "loss1 loss2 W", 2),
           ("second_derivative", "coeffs x", 2)),
    _topic("grad_accumulation", "Gradient accumulation and zero_grad", "梯度累加与清零",
           ("accumulated_grad", "X y w micro_batch", 2),
           ("grads_without_zeroing", "x k", 1),
           ("zero_grad", "params set_to_none", 2)),
    _topic("detach", "Cutting the graph: detach and no_grad", "detach 与 no_grad",
           ("stop_gradient_grads", "a b", 1),
           ("straight_through_round", "x", 2),
           ("predict", "w b x", 1),
           ("frozen_step", "W1 W2 X y lr", 2)),
    _topic("gd_loop", "The training loop by hand", "梯度下降",
           ("gradient_descent", "x y w0 b0 lr steps", 3),
           ("minibatch_sgd", "X y w0 b0 lr epochs batch_size", 3),
           ("converges", "a lr", 1),
           ("least_squares", "X y", 2),
           ("ridge", "X y lam", 2)),
    _topic("engine", "Write the backward engine yourself", "自己写反向传播引擎",
           ("vjp", "node inputs grad_out", 4),
           ("topo_order", "nodes root", 2),
           ("backward", "nodes root grad_root", 4),
           ("numerical_grad", "f x eps", 1)),
)

TOPIC_NAMES = tuple(t.name for t in TOPICS)


def topic(name: str) -> Topic:
    for t in TOPICS:
        if t.name == name:
            return t
    raise KeyError(name)


def function(topic_name: str, name: str) -> Function:
    return topic(topic_name).function(name)


def all_functions() -> list[Function]:
    return [fn for t in TOPICS for fn in t.functions]


def find(name: str) -> Function:
    """A function by its name alone (names are unique across topics)."""
    for fn in all_functions():
        if fn.name == name:
            return fn
    raise KeyError(name)


def total_points(topics: Iterable[str] | None = None) -> float:
    """The points of ``topics`` (default: all): what tests and reports compare a total
    with, never a literal."""
    names = set(topics or TOPIC_NAMES)
    return sum(fn.points for fn in all_functions() if fn.topic in names)


# Functions the shared rule checks (checks/contract.py: inputs left untouched, and the
# topic's rule) do not cover, each with the reason. Every other function must appear in
# its topic's SAMPLE_ARGS (tests/test_guard_rails.py holds the two to each other).
RULE_CHECK_EXEMPT: dict[str, str] = {
    "converges": "takes two floats: there is no tensor to modify",
    "is_leaf": "takes a node of a graph the harness builds; its own rule check "
               "(is_leaf_does_not_read_is_leaf) covers it",
    "grad_fn_names": "takes a node of a graph the harness builds",
    "leaves_receiving_grad": "takes nodes of a graph the harness builds; its own rule check "
                             "(leaves_receiving_grad_without_backward) covers it",
    "intermediate_grad": "its contract is to fill x.grad: the value checks see every change",
    "backward_twice": "takes a graph the harness builds, and must fill x.grad",
    "two_losses_grads": "takes a graph the harness builds, and must fill W.grad",
    "second_derivative": "not yet covered: its own rule check (second_derivative_uses_autograd) "
                         "runs, inputs left untouched is not checked",
    "accumulated_grad": "its contract is to fill w.grad; its own rule check "
                        "(accumulated_grad_one_backward_per_micro_batch) covers it",
    "grads_without_zeroing": "its contract is to fill x.grad, never zeroing",
    "zero_grad": "its contract is to change the parameters' .grad in place",
    "stop_gradient_grads": "its contract is to fill a.grad",
    "numerical_grad": "takes a function f, which only its own checks can send (the shared rule "
                      "checks send plain values): numerical_grad_leaves_x_untouched is its "
                      "inputs-untouched rule, numerical_grad_no_autograd its no-autograd rule",
}


# The scoring policy, per function (README, "How grading works"). Value checks earn the
# points; a rule check earns none of its own: broken, it gates them (the function keeps
# ``keeps`` of what its value checks earned, 0 for most rules), and the result names the
# rule. Hidden checks take HIDDEN_SHARE of a function's points where it has both kinds.
# Every score is a multiple of QUANTUM. A check that failed through the grader's own error
# (error_kind "harness") counts for nothing either way: it is left out, and the result is
# marked for regrading.
@dataclass(frozen=True)
class Rule:
    check: str  # the rule check's name (its test function without "test_")
    keeps: float  # the share of the value points a function keeps when it breaks the rule


RULES: dict[str, Rule] = {r.check: r for r in (
    Rule("inputs_untouched", 0.5),
    Rule("numerical_grad_leaves_x_untouched", 0.5),
    Rule("numerical_grad_no_autograd", 0.0),
    Rule("no_autograd", 0.0),
    Rule("no_torch_optim", 0.0),
    Rule("is_leaf_does_not_read_is_leaf", 0.0),
    Rule("leaves_receiving_grad_without_backward", 0.0),
    Rule("accumulated_grad_one_backward_per_micro_batch", 0.5),
    Rule("second_derivative_uses_autograd", 0.0),
)}
# Any check whose call changed torch or the grader (error_kind "tampered"): scores 0.
INTEGRITY = Rule("integrity", 0.0)
HIDDEN_SHARE = 0.25
QUANTUM = 0.25


def rule_of(check_id: str) -> Rule | None:
    """The rule a check enforces (``check_id``: "topic::name" or "topic::hidden::name"),
    or None for a value check."""
    return RULES.get(check_id.rsplit("::", 1)[-1])
