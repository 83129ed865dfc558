"""The kit's catalog: topics, their functions, parameters and points.

This is the authority on points (the curriculum's numbers are suggestions).
Every function listed here must have checks in ``checks/<topic>.py``; the
kit's own tests hold the two to each other.
"""

from __future__ import annotations

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


def _topic(name, title, title_zh, *functions):
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
