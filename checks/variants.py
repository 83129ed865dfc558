"""The wrong variants of each reference (checks/families.py judges them).

Every function here is one edit from an answer, so each is ``@kit_only``: the student
bundle carries none of them, and there no variant is registered (the hand-written
diagnoses still run).

Each reference is written once with its *knobs* (the mean's count, the factor 2 of a
square's derivative, the sign, where σ′ or tanh′ is taken, whether the loss's 2/n reaches
the hidden layer, ...); a variant turns exactly one knob the way students do. The right
knob settings reproduce the reference (tests/test_diagnoses.py holds them to it), so a
variant differs from it by one mistake only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from checks import engine_graphs as eg
from checks.families import GradIsNone, OneOf, Raised, variant
from gradkit.answers import kit_only


@dataclass(frozen=True)
class Knobs:
    count: str = "n"          # what the mean divides by: n, 1 (a sum), n², n − 1, the other dimension
    two: float = 2.0          # d/dŷ (ŷ − y)² = 2(ŷ − y)
    sign: float = 1.0
    sigma_prime: str = "at_z"   # σ′ as O(1 − O); "at_output": σ′(O); "formula_on_z": z(1 − z);
                                # "activation": O itself
    tanh_prime: str = "at_a"    # tanh′ as 1 − h²; "at_output": 1 − tanh(h)²; "formula_on_a":
                                # 1 − a²; "activation": h; "none": 1
    hidden_scale: bool = True   # the loss's 2/n carried back to W1 and b1
    per_weight: bool = False    # the gradient divided by the number of weights d
    mean_of_product: bool = True  # Σ rᵢxᵢ; False: (Σ rᵢ)·mean(x), the mean of a product split
    last_only: int = -1         # a per-sample sum assigned, not accumulated: that component
                                # keeps the last sample's term only


RIGHT = Knobs()

# One mistake each: (id, the knob turned).
ONE_MISTAKE = [
    ("sum_instead_of_mean", {"count": "1"}),
    ("divided_by_n_squared", {"count": "n2"}),
    ("divided_by_n_minus_1", {"count": "n-1"}),
    ("divided_by_other_dimension", {"count": "other"}),
    ("dropped_factor_2", {"two": 1.0}),
    ("extra_factor_2", {"two": 4.0}),
    ("flipped_sign", {"sign": -1.0}),
    ("derivative_wrong_point", {"sigma_prime": "at_output"}),
    ("sigma_prime_formula_on_z", {"sigma_prime": "formula_on_z"}),
    ("activation_for_derivative", {"sigma_prime": "activation"}),
    ("activation_for_derivative", {"tanh_prime": "activation"}),
    ("tanh_prime_at_output", {"tanh_prime": "at_output"}),
    ("tanh_prime_formula_on_pre_activation", {"tanh_prime": "formula_on_a"}),
    ("tanh_derivative_forgotten", {"tanh_prime": "none"}),
    ("hidden_layer_missing_loss_factor", {"hidden_scale": False}),
    ("divided_by_d", {"per_weight": True}),
    ("mean_of_product_split", {"mean_of_product": False}),
    *(("sum_assigned_not_accumulated", {"last_only": i}) for i in range(4)),
]


def _last_only(k: Knobs, grads: tuple, last: tuple) -> tuple:
    """``grads`` with component ``k.last_only`` replaced by its last sample's term."""
    if k.last_only >= len(grads):
        raise ValueError("no such component")
    return tuple(last[i] if i == k.last_only else g for i, g in enumerate(grads))


def _count(k: Knobs, n: int, other: int | None) -> float:
    if k.count == "other":
        if other is None:  # no other dimension: not this mistake
            raise ValueError("no other dimension")
        return float(other)
    return {"n": float(n), "1": 1.0, "n2": float(n * n), "n-1": float(n - 1)}[k.count]


def _sigma_prime(k: Knobs, z: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
    s = {"at_z": o, "at_output": torch.sigmoid(o), "formula_on_z": z}.get(k.sigma_prime)
    return o if s is None else s * (1 - s)


def _tanh_prime(k: Knobs, a: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    return {"at_a": 1 - h ** 2, "at_output": 1 - torch.tanh(h) ** 2, "formula_on_a": 1 - a ** 2,
            "activation": h, "none": torch.ones_like(h)}[k.tanh_prime]


# -- manual_grad's references, with their knobs ----------------------------------------------

@kit_only
def linear(k: Knobs, x, y, w, b):
    r = w * x + b - y
    count = _count(k, x.shape[0], None)  # a tensor divided by it: 1/0 is inf, as the student's
    rx = (r * x).sum() if k.mean_of_product else r.sum() * x.mean()
    s = k.sign * k.two
    return _last_only(k, (s * rx / count, s * r.sum() / count),
                      (s * r[-1] * x[-1] / count, s * r[-1] / count))


@kit_only
def sigmoid(k: Knobs, x, w, t):
    z = (x * w).sum()
    o = torch.sigmoid(z)
    grad = k.sign * (k.two / 2) * (o - t) * _sigma_prime(k, z, o) * x  # ½ · 2(O − t)
    return grad / x.shape[0] if k.per_weight else grad


@kit_only
def matrix(k: Knobs, X, y, w):
    m, d = X.shape
    r = X @ w - y
    # L = ‖Xw − y‖² / (2m): the 2 of the square over the 2 of 2m, then the mean's m.
    Xr = X.T @ r if k.mean_of_product else X.mean(0) * r.sum()
    s, count = k.sign * (k.two / 2), _count(k, m, d)
    return _last_only(k, (s * Xr / count,), (s * X[-1] * r[-1] / count,))[0]


@kit_only
def two_layer(k: Knobs, X, y, W1, b1, W2, b2):
    a = X @ W1.T + b1
    h = torch.tanh(a)
    r = h @ W2 + b2 - y
    g = k.sign * k.two * r / _count(k, X.shape[0], None)  # (a tensor: 1/0 is inf)
    carried = g if k.hidden_scale else k.sign * r
    d_pre = carried[:, None] * W2[None, :] * _tanh_prime(k, a, h)
    return _last_only(k, (d_pre.T @ X, d_pre.sum(0), h.T @ g, g.sum()),
                      (torch.outer(d_pre[-1], X[-1]), d_pre[-1], h[-1] * g[-1], g[-1]))


MANUAL = {"linear_mse_grad": linear, "sigmoid_neuron_grad": sigmoid,
          "matrix_mse_grad": matrix, "two_layer_grads": two_layer}


# Small inputs on which a knob a reference does not read leaves it unchanged: such a
# variant is the reference itself, and is not registered.
def _probe(*shapes):
    g = torch.Generator().manual_seed(0)
    return [torch.rand(s, generator=g, dtype=torch.float64) + 0.5 for s in shapes]


_PROBES = {"linear_mse_grad": _probe((3,), (3,), (), ()),
           "sigmoid_neuron_grad": _probe((3,), (3,), ()),
           "matrix_mse_grad": _probe((3, 2), (3,), (2,)),
           "two_layer_grads": _probe((3, 2), (3,), (4, 2), (4,), (4,), ())}


def _differs(reference, knobs: Knobs, probe) -> bool:
    try:
        wrong, right = reference(knobs, *probe), reference(RIGHT, *probe)
    except (ValueError, KeyError):
        return False
    if not isinstance(right, (tuple, torch.Tensor)):  # the student bundle: no references here
        return False
    pairs = zip(wrong, right) if isinstance(right, tuple) else [(wrong, right)]
    return any(not torch.allclose(a, b) for a, b in pairs)


for _function, _reference in MANUAL.items():
    for _mid, _turned in ONE_MISTAKE:
        _knobs = replace(RIGHT, **_turned)
        if _differs(_reference, _knobs, _PROBES[_function]):
            variant("manual_grad", _function, _mid)(
                lambda *args, reference=_reference, knobs=_knobs: reference(knobs, *args))


# -- detach ---------------------------------------------------------------------------------

@variant("detach", "stop_gradient_grads", "sum_instead_of_mean")
@kit_only
def _stop_gradient_summed(a, b):
    """a.grad of Σ(a − b)² instead of its mean."""
    return 2 * (a - b)


@variant("detach", "stop_gradient_grads", "dropped_factor_2")
@kit_only
def _stop_gradient_half(a, b):
    return (a - b) / a.numel()


@variant("detach", "stop_gradient_grads", "flipped_sign")
@kit_only
def _stop_gradient_negated(a, b):
    return -2 * (a - b) / a.numel()


# -- grad_accumulation ----------------------------------------------------------------------

@variant("grad_accumulation", "accumulated_grad", "last_micro_batch_dropped")
@kit_only
def _accumulated_without_last(X, y, w, micro_batch):
    """Only the full micro-batches (range(m // micro_batch)); none at all: w.grad stays None."""
    m = X.shape[0]
    full = m // micro_batch * micro_batch
    if full == 0:
        return GradIsNone()
    if full == m:
        return 2 * X.T @ (X @ w - y) / m
    Xf, yf = X[:full], y[:full]
    return 2 * Xf.T @ (Xf @ w - yf) / m


@variant("grad_accumulation", "accumulated_grad", "last_micro_batch_dropped")
@kit_only
def _accumulated_without_last_own_mean(X, y, w, micro_batch):
    """The same, each full chunk's mean weighted by 1/number of chunks (the full chunks)."""
    m = X.shape[0]
    chunks = m // micro_batch
    if chunks == 0:
        return GradIsNone()
    full = chunks * micro_batch
    Xf, yf = X[:full], y[:full]
    return 2 * Xf.T @ (Xf @ w - yf) / full


# -- retain_graph -----------------------------------------------------------------------------

NOT_DIFFERENTIABLE = "does not require grad|appears to not have been used"


@variant("retain_graph", "second_derivative", "create_graph_forgotten")
def _second_without_create_graph(coeffs, x):
    """The first grad without create_graph=True has no graph: the second grad raises."""
    return Raised(NOT_DIFFERENTIABLE)


@variant("retain_graph", "second_derivative", "second_grad_unused")
@kit_only
def _second_raises_below_degree_2(coeffs, x):
    """Right for degree 2 and more; for degree 0 or 1, p′ does not depend on x, so the
    second grad raises (unless the way p was built left p′ a graph: then p″ = 0 is right)."""
    c, xd = coeffs.double(), x.double()
    total = sum((k * (k - 1) * c[k] * xd ** (k - 2) for k in range(2, len(c))), torch.zeros_like(xd))
    right = total.to(x.dtype)
    return OneOf((Raised(NOT_DIFFERENTIABLE), right)) if coeffs.shape[0] <= 2 else right



# -- gd_loop ----------------------------------------------------------------------------------

@kit_only
def _descent(x, y, w0, b0, lr, steps, summed=False):
    """Gradient descent on the mean (or, ``summed``, the sum) of the squared errors."""
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        squared = (w * x + b - y) ** 2
        loss = squared.sum() if summed else squared.mean()
        losses.append(loss.detach())
        gw, gb = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w -= lr * gw
            b -= lr * gb
    recorded = torch.stack(losses) if losses else torch.zeros(0, dtype=w0.dtype, device=w0.device)
    return w.detach(), b.detach(), recorded


@variant("gd_loop", "gradient_descent", "steps_off_by_one")
@kit_only
def _descent_one_more(x, y, w0, b0, lr, steps):
    return _descent(x, y, w0, b0, lr, steps + 1)


@variant("gd_loop", "gradient_descent", "steps_off_by_one")
@kit_only
def _descent_one_fewer(x, y, w0, b0, lr, steps):
    return _descent(x, y, w0, b0, lr, steps - 1)


@variant("gd_loop", "gradient_descent", "loss_summed_not_averaged")
@kit_only
def _descent_summed(x, y, w0, b0, lr, steps):
    return _descent(x, y, w0, b0, lr, steps, summed=True)


@kit_only
def _batches(X, y, w0, b0, lr, epochs, batch_size, summed=False):
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    for _ in range(epochs):
        for i in range(0, X.shape[0], batch_size):
            squared = (X[i:i + batch_size] @ w + b - y[i:i + batch_size]) ** 2
            gw, gb = torch.autograd.grad(squared.sum() if summed else squared.mean(), (w, b))
            with torch.no_grad():
                w -= lr * gw
                b -= lr * gb
    return w.detach(), b.detach()


@variant("gd_loop", "minibatch_sgd", "epochs_off_by_one")
@kit_only
def _batches_one_more_epoch(X, y, w0, b0, lr, epochs, batch_size):
    return _batches(X, y, w0, b0, lr, epochs + 1, batch_size)


@variant("gd_loop", "minibatch_sgd", "epochs_off_by_one")
@kit_only
def _batches_one_fewer_epoch(X, y, w0, b0, lr, epochs, batch_size):
    return _batches(X, y, w0, b0, lr, epochs - 1, batch_size)


@variant("gd_loop", "minibatch_sgd", "loss_summed_not_averaged")
@kit_only
def _batches_summed(X, y, w0, b0, lr, epochs, batch_size):
    return _batches(X, y, w0, b0, lr, epochs, batch_size, summed=True)


# -- a guard for variants registered in a loop: the bundle replaces each @kit_only function
# by a stub that returns [], and a variant built on a stub must not be registered.

@kit_only
def _in_kit() -> bool:
    # A body of its own: the bundle test asserts no kit-only body appears in the bundle.
    return bool("variants registered: the full kit")


IN_KIT = _in_kit() is True


# -- graph_leaves -----------------------------------------------------------------------------

ACCUMULATE = "torch::autograd::AccumulateGrad"


@dataclass(frozen=True)
class Walk:
    """How grad_fn_names walks next_functions: breadth-first from a queue (``bfs``),
    depth-first from a stack (``dfs``) or recursion listing a node after its parents
    (``post``); the parents in next_functions' order or reversed; a node marked seen when
    visited or when queued; each node listed once, every time it is reached (``every``:
    nothing remembered) or listed again but not expanded (``listed``); the leaves'
    AccumulateGrad nodes kept or left out."""
    order: str = "bfs"
    parents: str = "forward"
    mark: str = "visit"
    repeats: str = "once"
    leaves: bool = True


WALK_CAP = 500  # a walk that remembers nothing can repeat nodes without end: its first 500


@kit_only
def walk_names(w: Walk, t: torch.Tensor) -> list[str]:
    if t.grad_fn is None:
        return []

    def parents(node) -> list:
        found = [p for p, _ in node.next_functions if p is not None]
        return found[::-1] if w.parents == "reversed" else found

    names: list[str] = []
    if w.order == "post":
        done: set = set()

        def visit(node) -> None:
            done.add(node)
            for p in parents(node):
                if p not in done:
                    visit(p)
            names.append(node.name())
        visit(t.grad_fn)
    else:
        seen, todo = {t.grad_fn}, [t.grad_fn]
        expanded: set = set()
        while todo and len(names) < WALK_CAP:
            node = todo.pop() if w.order == "dfs" else todo.pop(0)
            if w.mark == "visit" and w.repeats != "every" and node in expanded:
                if w.repeats == "listed":
                    names.append(node.name())
                continue
            expanded.add(node)
            names.append(node.name())
            fresh = [p for p in parents(node)
                     if w.mark != "push" or w.repeats == "every" or p not in seen]
            seen.update(fresh)
            todo.extend(fresh[::-1] if w.order == "dfs" else fresh)  # the first parent next
    return [n for n in names if w.leaves or n != ACCUMULATE]


RIGHT_WALK = Walk()
WALKS = [
    ("depth_first_order", {"order": "dfs"}),
    ("depth_first_order", {"order": "dfs", "parents": "reversed"}),
    ("depth_first_order", {"order": "dfs", "mark": "push"}),
    ("depth_first_order", {"order": "dfs", "parents": "reversed", "mark": "push"}),
    ("depth_first_order", {"order": "post"}),
    ("depth_first_order", {"order": "post", "parents": "reversed"}),
    ("next_functions_reversed", {"parents": "reversed"}),
    ("shared_node_repeated", {"repeats": "every"}),
    ("shared_node_repeated", {"repeats": "listed"}),
    ("leaves_left_out", {"leaves": False}),
]

if IN_KIT:
    for _mid, _turned in WALKS:
        variant("graph_leaves", "grad_fn_names", _mid)(
            lambda t, walk=replace(RIGHT_WALK, **_turned): walk_names(walk, t))


@variant("graph_leaves", "is_leaf", "leaf_needs_requires_grad")
@kit_only
def _leaf_only_if_tracked(t):
    """Only a tensor that requires grad counts as a leaf."""
    return t.requires_grad and t.grad_fn is None


@variant("graph_leaves", "is_leaf", "leaf_means_no_grad")
@kit_only
def _leaf_if_untracked(t):
    return not t.requires_grad


@variant("graph_leaves", "is_leaf", "view_not_leaf")
@kit_only
def _views_never_leaves(t):
    return t.grad_fn is None and t._base is None


@kit_only
def _reached(out: torch.Tensor) -> tuple[list, set]:
    """The leaves whose AccumulateGrad out's graph reaches, and every node reached."""
    leaves, seen, todo = [], set(), [out.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            leaves.append(node.variable)
        todo.extend(p for p, _ in node.next_functions)
    return leaves, seen


@variant("graph_leaves", "leaves_receiving_grad", "unused_leaf_gets_grad")
@kit_only
def _every_tracked_leaf(out, candidates):
    return [c.requires_grad and c.grad_fn is None for c in candidates]


@variant("graph_leaves", "leaves_receiving_grad", "non_leaf_gets_grad")
@kit_only
def _every_tracked_tensor(out, candidates):
    return [c.requires_grad for c in candidates]


@variant("graph_leaves", "leaves_receiving_grad", "non_leaf_gets_grad")
@kit_only
def _every_reached_tensor(out, candidates):
    """A candidate whose own grad_fn the walk reaches counts too (inner nodes included)."""
    leaves, seen = _reached(out)
    return [(c.grad_fn is not None and c.grad_fn in seen) or any(c is leaf for leaf in leaves)
            for c in candidates]


# -- engine: vjp with one op's local rule written wrong (checks/engine_graphs.py, WRONG_RULES) --

@kit_only
def vjp_with_rule(rule, node: dict, inputs: list, g: torch.Tensor) -> list:
    """The vjp a student gives whose rule for one op is ``rule`` (right for the others)."""
    if node["op"] == "detach":
        return [None]
    wrong = rule(node["op"], node.get("k"), list(inputs), g, node["value"])
    return wrong if wrong is not None else eg.op_vjp(node["op"], node.get("k"), list(inputs), g)


if IN_KIT:
    for _mid, _rules in eg.WRONG_RULES.items():
        for _rule in _rules:
            variant("engine", "vjp", _mid)(
                lambda node, inputs, g, rule=_rule: vjp_with_rule(rule, node, inputs, g))


# -- detach: straight_through_round with the detach on another term -------------------------

@dataclass(frozen=True)
class Upstream:
    """The upstream gradient v of a check that compares the gradient reaching x (a VJP)
    rather than the value: a variant then answers with that gradient."""
    v: torch.Tensor


@variant("detach", "straight_through_round", "straight_through_input_detached")
@kit_only
def _straight_through_x_detached(x, upstream=None):
    """x.detach() + (round(x) − x): the value is round(x), the gradient −v."""
    return torch.round(x) if upstream is None else -upstream.v


# -- retain_graph: the first derivative reduced with a mean before the second grad ----------

@variant("retain_graph", "second_derivative", "first_derivative_averaged")
@kit_only
def _second_of_mean(coeffs, x):
    """grad(p′(x).mean(), x): every p″(xᵢ) divided by the number of elements."""
    c, xd = coeffs.double(), x.double()
    total = sum((k * (k - 1) * c[k] * xd ** (k - 2) for k in range(2, len(c))), torch.zeros_like(xd))
    right = (total / x.numel()).to(x.dtype)
    return OneOf((Raised(NOT_DIFFERENTIABLE), right)) if coeffs.shape[0] <= 2 else right


# -- engine: numerical_grad moving a whole row at once -------------------------------------

@variant("engine", "numerical_grad", "rows_perturbed_together")
@kit_only
def _numerical_by_rows(f, x, eps):
    """x[i] += eps for i in range(len(x)): one element of a vector, a whole row of a
    matrix (its central difference written into that row); a 0-d x has no len()."""
    if x.dim() == 0:
        central = (f(x + eps) - f(x - eps)) / (2 * eps)
        return OneOf((Raised(r"0-d|out of range|len\(\)"), central.reshape(()).to(x.dtype)))
    grad = torch.zeros_like(x)
    for i in range(x.shape[0]):
        up, down = x.clone(), x.clone()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad
