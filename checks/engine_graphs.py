"""Graphs for the engine topic: drawn as plain specs, built here as the student's
list-of-dicts graph and as a torch graph (the reference).

A spec is ``{"nodes": [{"op": "leaf", "value": [...], "requires_grad": bool} |
{"op": op, "inputs": [i, ...], "k": k}], "root": i, "grad_root": [...] | None}``.
Values are drawn on the CPU in float64 and every op is kept in its domain with a
margin (log ≥ 0.15, denominators and negative powers |x| ≥ 0.6, exp in [−4.5, 4.5]),
so the float32 graph stays in the curriculum's domains too.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from checks import plain_arrays as plain
from gradkit.testing import describe
from gradkit.answers import answer, kit_only

BINARY = ("add", "sub", "mul", "div", "matmul")
UNARY = ("neg", "pow", "exp", "log", "tanh", "sigmoid", "relu", "sum", "mean", "transpose",
         "detach")
OPS = BINARY + UNARY
POWERS = (-2, -1, 0, 1, 2, 3)
MAX_NODES = 12
LIMIT = 60.0  # node values stay below this: no overflow, no cancellation games

# Values a leaf may hold: exact zeros (relu at 0), small and moderate magnitudes.
_grid = st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0, 0.75, -1.25, 1.5, 2.0, -2.0])
_uniform = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))
leaf_values = st.one_of(_grid, _uniform)
# Upstream gradients: random, never all ones, never zero.
_upstream = st.floats(0.3, 1.7).map(lambda v: round(v, 3)).flatmap(
    lambda v: st.sampled_from([v, -v]))


def apply(op: str, args, k=None):
    a = args[0]
    if op == "add":
        return a + args[1]
    if op == "sub":
        return a - args[1]
    if op == "mul":
        return a * args[1]
    if op == "div":
        return a / args[1]
    if op == "matmul":
        return a @ args[1]
    if op == "neg":
        return -a
    if op == "pow":
        return a ** int(k)
    if op == "exp":
        return torch.exp(a)
    if op == "log":
        return torch.log(a)
    if op == "tanh":
        return torch.tanh(a)
    if op == "sigmoid":
        return torch.sigmoid(a)
    if op == "relu":
        return torch.relu(a)
    if op == "sum":
        return a.sum()
    if op == "mean":
        return a.mean()
    if op == "transpose":
        return a.t()
    if op == "detach":
        return a.detach()
    raise ValueError(op)


def in_domain(op: str, args: list[plain.Array], k=None) -> bool:
    """The op may be applied to these float64 values (plain arrays: drawing asks no torch),
    with a margin."""
    a = args[0]
    if op in ("add", "sub", "mul", "div"):
        if plain.broadcast_shapes(a.shape, args[1].shape) is None:
            return False
        if op == "div" and not all(abs(v) >= 0.6 for v in args[1].flat):
            return False
    if op == "matmul":
        b = args[1]
        if a.dim() != 2 or b.dim() not in (1, 2) or a.shape[1] != b.shape[0]:
            return False
    if op == "transpose" and a.dim() != 2:
        return False
    if op == "log" and not all(v >= 0.15 for v in a.flat):
        return False
    if op == "exp" and not all(abs(v) <= 4.5 for v in a.flat):
        return False
    if op == "pow" and k < 0 and not all(abs(v) >= 0.6 for v in a.flat):
        return False
    if op in ("sum", "mean", "neg", "tanh", "sigmoid", "relu", "detach") and a.dim() > 2:
        return False
    out = plain.apply(op, args, k)
    return out.dim() <= 2 and all(abs(v) <= LIMIT for v in out.flat)


@st.composite
def leaf(draw, shape, requires_grad=None):
    numel = 1
    for s in shape:
        numel *= s
    flat = draw(st.lists(leaf_values, min_size=numel, max_size=numel))
    value = plain.nest([float(v) for v in flat], tuple(shape))
    rg = (draw(st.booleans()) or draw(st.booleans())) if requires_grad is None else requires_grad
    return {"op": "leaf", "value": value, "requires_grad": bool(rg)}


@st.composite
def graphs(draw, max_nodes=MAX_NODES):
    """A spec with shared nodes, unused leaves, detach, leaves without requires_grad and
    broadcasting; leaf 0 requires grad; the root is the last node that requires grad."""
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shapes = [(n, k), (k,), (n, 1), (), (k, n), (1, k)]
    nodes, values = [], []
    for _ in range(draw(st.integers(2, 4))):
        node = draw(leaf(draw(st.sampled_from(shapes)), True if not nodes else None))
        nodes.append(node)
        values.append(plain.Array.of(node["value"]))
    for _ in range(draw(st.integers(1, max_nodes - len(nodes)))):
        for _attempt in range(8):
            op = draw(st.sampled_from(OPS))
            arity = 2 if op in BINARY else 1
            # Later nodes are likelier inputs: long chains, and shared nodes.
            idx = [max(draw(st.integers(0, len(nodes) - 1)), draw(st.integers(0, len(nodes) - 1)))
                   for _ in range(arity)]
            kk = draw(st.sampled_from(POWERS)) if op == "pow" else None
            args = [values[i] for i in idx]
            if in_domain(op, args, kk):
                node = {"op": op, "inputs": idx}
                if kk is not None:
                    node["k"] = kk
                nodes.append(node)
                values.append(plain.apply(op, args, kk))
                break
    flags = requires_grad(nodes)
    root = max(i for i, f in enumerate(flags) if f)
    shape = tuple(values[root].shape)
    if shape == () and draw(st.booleans()):
        grad_root = None
    else:
        numel = values[root].numel()
        grad_root = plain.nest(draw(st.lists(_upstream, min_size=numel, max_size=numel)), shape)
    return {"nodes": nodes, "root": root, "grad_root": grad_root}


# -- one op in every broadcasting pattern: the graphs vjp and backward are both held to -------

# (a's shape, b's shape) for the broadcasting ops, from n and k: both directions, a row, a
# column, (1, k) against (n, 1) (both inputs broadcast), size-1 dimensions kept, 0-d.
PAIRS = {
    "same": lambda n, k: ((n, k), (n, k)),
    "row": lambda n, k: ((n, k), (k,)),
    "row_first": lambda n, k: ((k,), (n, k)),
    "column": lambda n, k: ((n, 1), (k,)),
    "outer": lambda n, k: ((1, k), (n, 1)),
    "outer_first": lambda n, k: ((n, 1), (1, k)),
    "row_kept": lambda n, k: ((n, k), (1, k)),
    "column_kept": lambda n, k: ((n, 1), (n, k)),
    "scalar": lambda n, k: ((n, k), ()),
    "scalar_first": lambda n, k: ((), (k,)),
    "both_0d": lambda n, k: ((), ()),
}


@st.composite
def op_shapes(draw, op: str, least: int = 1) -> tuple:
    """The inputs' shapes for one op: every broadcasting pattern, matrix @ matrix and
    matrix @ vector, a matrix, a vector or a 0-d tensor for the one-input ops; sizes
    from ``least`` to 3."""
    n, k, m = (draw(st.integers(least, 3)) for _ in range(3))
    if op in ("add", "sub", "mul", "div"):
        return PAIRS[draw(st.sampled_from(sorted(PAIRS)))](n, k)
    if op == "matmul":
        return draw(st.sampled_from([((n, k), (k, m)), ((n, k), (k,))]))
    if op == "transpose":
        return ((n, k),)
    return (draw(st.sampled_from([(n, k), (k,), ()])),)


def safe_leaf(shape) -> dict:
    """A leaf every op accepts (1.0 everywhere is in every domain), if drawing keeps missing."""
    return {"op": "leaf", "value": plain.nest([1.0] * plain.numel(shape), tuple(shape)),
            "requires_grad": True}


@st.composite
def op_graph(draw, op: str, constants: bool = False, upstream: bool = False,
             least: int = 1) -> dict:
    """Leaves of drawn shapes, then ``op`` on them as the root, with a random upstream
    gradient (None, meaning 1, for some 0-d roots unless ``upstream``). ``constants``: an
    input after the first may not require grad; ``least``: the smallest size drawn (2: a
    mean over rows and columns, a broadcast that repeats)."""
    shapes = draw(op_shapes(op, least))
    kk = draw(st.sampled_from(POWERS)) if op == "pow" else None
    leaves: list[dict] = []
    for i, shape in enumerate(shapes):
        rg = True if i == 0 or not constants else draw(st.booleans())
        for _ in range(20):
            leaves.append(draw(leaf(shape, rg)))
            args = [plain.Array.of(x["value"]) for x in leaves]
            if i < len(shapes) - 1 or in_domain(op, args, kk):
                break
            leaves.pop()
        else:
            leaves.append(safe_leaf(shape) | {"requires_grad": rg})
    node: dict = {"op": op, "inputs": list(range(len(leaves)))}
    if kk is not None:
        node["k"] = kk
    spec = {"nodes": leaves + [node], "root": len(leaves), "grad_root": None}
    out = plain.apply(op, [plain.Array.of(x["value"]) for x in leaves], kk)
    if out.dim() > 0 or upstream or draw(st.booleans()):
        g = draw(st.lists(_upstream, min_size=out.numel(), max_size=out.numel()))
        spec["grad_root"] = plain.nest(g, out.shape)
    return spec


def requires_grad(nodes: list[dict]) -> list[bool]:
    flags = []
    for node in nodes:
        if node["op"] == "leaf":
            flags.append(bool(node["requires_grad"]))
        else:
            flags.append(node["op"] != "detach" and any(flags[i] for i in node["inputs"]))
    return flags


def build(spec: dict, dtype, device, grad: bool = False) -> list[torch.Tensor]:
    """The graph's tensors; ``grad``: leaves require grad as the spec says (the torch graph)."""
    out = []
    for node in spec["nodes"]:
        if node["op"] == "leaf":
            t = torch.tensor(node["value"], dtype=dtype, device=device)
            if grad:
                t.requires_grad_(bool(node["requires_grad"]))
        else:
            t = apply(node["op"], [out[i] for i in node["inputs"]], node.get("k"))
        out.append(t)
    return out


def student_graph(spec: dict, dtype, device) -> list[dict]:
    """The list of dicts the student's engine is given."""
    values = build(spec, dtype, device)
    flags = requires_grad(spec["nodes"])
    graph = []
    for node, value, flag in zip(spec["nodes"], values, flags):
        d = {"op": node["op"], "inputs": list(node.get("inputs", [])),
             "value": value.detach().clone(), "requires_grad": flag}
        if node["op"] == "pow":
            d["k"] = int(node["k"])
        graph.append(d)
    return graph


def grad_root(spec: dict, dtype, device):
    g = spec["grad_root"]
    return None if g is None else torch.tensor(g, dtype=dtype, device=device)


def torch_backward(spec: dict, dtype, device, detach_as_identity: bool = False) -> list:
    """What ``root.backward(grad_root)`` leaves in each leaf's .grad (None elsewhere)."""
    if detach_as_identity:
        spec = {**spec, "nodes": [{"op": "mul", "inputs": n["inputs"] * 2, "one": True}
                                  if n["op"] == "detach" else n for n in spec["nodes"]]}
    tensors = []
    for node in spec["nodes"]:
        if node["op"] == "leaf":
            t = torch.tensor(node["value"], dtype=dtype, device=device)
            t.requires_grad_(bool(node["requires_grad"]))
        elif node.get("one"):
            t = tensors[node["inputs"][0]] * 1.0
        else:
            t = apply(node["op"], [tensors[i] for i in node["inputs"]], node.get("k"))
        tensors.append(t)
    root = tensors[spec["root"]]
    if not root.requires_grad:
        return [None] * len(tensors)
    root.backward(grad_root(spec, dtype, device))
    return [t.grad.detach().clone() if node["op"] == "leaf" and t.grad is not None else None
            for node, t in zip(spec["nodes"], tensors)]


# -- smaller graphs: what the counterexample's failure may not depend on ---------------------

def pruned(spec: dict) -> dict:
    """Only the nodes the root's value is computed from, renumbered in their order."""
    nodes, keep, todo = spec["nodes"], set(), [spec["root"]]
    while todo:
        i = todo.pop()
        if i not in keep:
            keep.add(i)
            todo.extend(nodes[i].get("inputs", []))
    new_index = {old: new for new, old in enumerate(sorted(keep))}
    out = []
    for old in sorted(keep):
        node = dict(nodes[old])
        if "inputs" in node:
            node["inputs"] = [new_index[j] for j in node["inputs"]]
        out.append(node)
    return {**spec, "nodes": out, "root": new_index[spec["root"]]}


def as_leaf(spec: dict, i: int) -> dict:
    """Node ``i`` replaced by a leaf holding its value (rounded to 3 decimals, requiring
    grad as the node did): the subgraph below it gone."""
    value = build(spec, torch.float64, "cpu")[i].round(decimals=3)
    flag = requires_grad(spec["nodes"])[i]
    nodes = list(spec["nodes"])
    nodes[i] = {"op": "leaf", "value": value.tolist(), "requires_grad": flag}
    return {**spec, "nodes": nodes}


def smaller(spec: dict):
    """Candidate graphs with fewer nodes, the biggest cuts first: the unused nodes dropped,
    then each inner node below the root (nearest the root first) made a leaf."""
    first = pruned(spec)
    if len(first["nodes"]) < len(spec["nodes"]):
        yield first
    for i in range(spec["root"] - 1, -1, -1):
        if spec["nodes"][i]["op"] != "leaf":
            yield pruned(as_leaf(spec, i))


# -- the graph as code, for feedback ------------------------------------------------

_FORMS = {"add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}",
          "matmul": "{0} @ {1}", "neg": "-{0}", "pow": "{0} ** {k}", "exp": "torch.exp({0})",
          "log": "torch.log({0})", "tanh": "torch.tanh({0})", "sigmoid": "torch.sigmoid({0})",
          "relu": "torch.relu({0})", "sum": "{0}.sum()", "mean": "{0}.mean()",
          "transpose": "{0}.t()", "detach": "{0}.detach()"}


def _values(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_values(x) for x in v) + "]"
    return describe.number(float(v))


def as_code(spec: dict, dtype=torch.float32) -> str:
    """The graph as the torch code that builds it; the student's ``nodes[i]`` is ``t{i}``."""
    dt = "" if dtype == torch.float32 else ", dtype=torch.float64"
    lines = []
    for i, node in enumerate(spec["nodes"]):
        if node["op"] == "leaf":
            rg = ", requires_grad=True" if node["requires_grad"] else ""
            lines.append(f"t{i} = torch.tensor({_values(node['value'])}{dt}{rg})")
        else:
            lines.append(f"t{i} = " + _FORMS[node["op"]].format(
                *(f"t{j}" for j in node["inputs"]), k=node.get("k")))
    if "root" in spec:
        g = spec.get("grad_root")
        arg = "" if g is None else f"torch.tensor({_values(g)}{dt})"
        lines.append(f"t{spec['root']}.backward({arg})")
    return "\n".join(lines)


# -- fixed graphs: the curriculum's worked examples, and one where DFS pre-order and BFS fail

def worked(kind: str) -> dict:
    x12 = {"op": "leaf", "value": [1.0, 2.0], "requires_grad": True}
    if kind == "mul_sum":
        return {"nodes": [x12, {"op": "leaf", "value": [3.0, 4.0], "requires_grad": True},
                          {"op": "mul", "inputs": [0, 1]}, {"op": "sum", "inputs": [2]}],
                "root": 3, "grad_root": None}
    if kind == "shared":
        return {"nodes": [{"op": "leaf", "value": 3.0, "requires_grad": True},
                          {"op": "mul", "inputs": [0, 0]}], "root": 1, "grad_root": None}
    if kind == "detach":
        return {"nodes": [x12, {"op": "detach", "inputs": [0]}, {"op": "mul", "inputs": [0, 1]},
                          {"op": "sum", "inputs": [2]}], "root": 3, "grad_root": None}
    if kind == "constant_first":
        # mul(x, w) with x a constant: the walk must go on to w after skipping x.
        return {"nodes": [{"op": "leaf", "value": [1.0, 2.0], "requires_grad": False},
                          {"op": "leaf", "value": [3.0, 4.0], "requires_grad": True},
                          {"op": "mul", "inputs": [0, 1]}, {"op": "sum", "inputs": [2]}],
                "root": 3, "grad_root": None}
    if kind == "leaf_before_inner":
        # t3 = tanh(t0) * t1: a depth-first order meets the leaf t1 before the inner node t2,
        # so a walk that stops at its first leaf never reaches t0.
        return {"nodes": [{"op": "leaf", "value": [0.5, -1.0], "requires_grad": True},
                          {"op": "leaf", "value": [2.0, 3.0], "requires_grad": True},
                          {"op": "tanh", "inputs": [0]}, {"op": "mul", "inputs": [2, 1]},
                          {"op": "sum", "inputs": [3]}],
                "root": 4, "grad_root": None}
    if kind == "relu_at_zero":
        # sum(relu(x) * w) with x holding exact zeros: relu passes no gradient there.
        return {"nodes": [{"op": "leaf", "value": [0.0, 1.5, -0.5, 0.0], "requires_grad": True},
                          {"op": "leaf", "value": [2.0, -1.0, 3.0, 0.5], "requires_grad": True},
                          {"op": "relu", "inputs": [0]}, {"op": "mul", "inputs": [2, 1]},
                          {"op": "sum", "inputs": [3]}],
                "root": 4, "grad_root": None}
    if kind == "diamond":
        # r = q + exp(q), q = tanh(x): BFS (r, q, p, x) and DFS pre-order (r, q, x, p) both
        # put q before its user p.
        return {"nodes": [x12, {"op": "tanh", "inputs": [0]}, {"op": "exp", "inputs": [1]},
                          {"op": "add", "inputs": [1, 2]}, {"op": "sum", "inputs": [3]}],
                "root": 4, "grad_root": None}
    raise KeyError(kind)


WORKED_EXPECTED = {
    "mul_sum": [[3.0, 4.0], [1.0, 2.0], None, None],
    "shared": [6.0, None],
    "detach": [[1.0, 2.0], None, None, None],
    "constant_first": [None, [1.0, 2.0], None, None],
}


# -- wrong engines, for naming a mistake: the answer a known wrong walk gives -----------------

def op_vjp(op: str, k, inputs: list[torch.Tensor], g: torch.Tensor) -> list:
    """One op's gradients by torch autograd (here in the grader)."""
    if op == "detach":
        return [None]
    xs = [x.detach().clone().requires_grad_(True) for x in inputs]
    out = apply(op, xs, k)
    grads = torch.autograd.grad(out, xs, g, allow_unused=True)
    return [torch.zeros_like(x) if gg is None else gg.detach() for x, gg in zip(xs, grads)]


@answer("topo_order")
def _order(spec: dict) -> list[int]:
    nodes, flags, order, seen = spec["nodes"], requires_grad(spec["nodes"]), [], set()

    def visit(i):
        seen.add(i)
        if nodes[i]["op"] != "detach":
            for j in nodes[i].get("inputs", []):
                if flags[j] and j not in seen:
                    visit(j)
        order.append(i)

    visit(spec["root"])
    return order[::-1]


# Walks that are not topological: a node's vjp may run before all its users sent gradients.
WRONG_ORDERS = ("index", "bfs", "preorder")


@kit_only
def _wrong_order(spec: dict, kind: str) -> list[int]:
    """The reachable grad-requiring nodes in increasing index order, breadth-first from the
    root (each node when first discovered), or depth-first pre-order."""
    nodes, flags = spec["nodes"], requires_grad(spec["nodes"])

    def inputs(i):
        return [] if nodes[i]["op"] == "detach" else [j for j in nodes[i].get("inputs", [])
                                                       if flags[j]]
    seen, order, todo = {spec["root"]}, [], [spec["root"]]
    while todo:
        i = todo.pop(0) if kind == "bfs" else todo.pop()
        order.append(i)
        fresh = [j for j in dict.fromkeys(inputs(i)) if j not in seen]
        seen.update(fresh)
        todo.extend(fresh if kind == "bfs" else reversed(fresh))
    return sorted(order) if kind == "index" else order


# -- wrong local rules: a right walk with one op's VJP written wrong --------------------------
# Each misconception maps to its variants; a variant gets (op, k, inputs, g, out) and
# returns that op's wrong gradients, or None where it has nothing to say (the right rule).

def _leading_only(grad: torch.Tensor, shape) -> torch.Tensor:
    """Sum away the extra leading dimensions only, not the size-1 ones."""
    extra = grad.dim() - len(shape)
    return grad.sum(dim=tuple(range(extra))) if extra > 0 else grad


def _first_axis_once(grad: torch.Tensor, shape) -> torch.Tensor:
    """Summed over dimension 0 whenever the shapes differ, and nothing else."""
    return grad.sum(0) if tuple(grad.shape) != tuple(shape) else grad


def _size_one_only(grad: torch.Tensor, shape) -> torch.Tensor:
    """Summed over the input's size-1 dimensions (kept), the extra leading ones left."""
    lead = grad.dim() - len(shape)
    dims = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(dim=dims, keepdim=True) if dims else grad


def _broadcasting(reduce):
    def rule(op, k, inputs, g, out):
        if op not in ("add", "sub", "mul", "div"):
            return None
        a, b = inputs
        ga, gb = {"add": (g, g), "sub": (g, -g), "mul": (g * b, g * a),
                  "div": (g / b, -g * a / (b * b))}[op]
        return [reduce(ga, a.shape), reduce(gb, b.shape)]
    return rule


def _mean_by(pick):
    def rule(op, k, inputs, g, out):
        a = inputs[0]
        d = pick(a) if op == "mean" and a.dim() else None
        return None if d in (None, a.numel()) else [(g / d).expand(a.shape).clone()]
    return rule


def _matmul_left(op, k, inputs, g, out):
    if op != "matmul":
        return None
    a, b = inputs
    ga = torch.outer(b, g) if b.dim() == 1 else b @ g.t()
    return [ga, a.t() @ g]


def _matmul_right(op, k, inputs, g, out):
    if op != "matmul" or inputs[1].dim() != 2:
        return None
    a, b = inputs
    return [g @ b.t(), g.t() @ a]


def _elementwise(name, formula):
    def rule(op, k, inputs, g, out):
        return [formula(inputs[0], g, out, k)] if op == name else None
    return rule


def _sign_dropped(op, k, inputs, g, out):
    if op not in ("sub", "div"):
        return None
    a, b = inputs
    grads = op_vjp(op, k, inputs, g)
    return [grads[0], _unbroadcast(g if op == "sub" else g * a / (b * b), b.shape)]


def _quotient_rule(formula):
    """div's gradient for b written with a factor missing (a/b's square, or a itself)."""
    def rule(op, k, inputs, g, out):
        if op != "div":
            return None
        a, b = inputs
        return [op_vjp(op, k, inputs, g)[0], _unbroadcast(formula(a, b, g), b.shape)]
    return rule


def _unbroadcast(grad: torch.Tensor, shape) -> torch.Tensor:
    grad = _leading_only(grad, shape)
    dims = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(dim=dims, keepdim=True) if dims else grad


def _pow_variants():
    # k·x^k, k·x^(k−2), (k−1)·x^(k−1), (k+1)·x^k, x^(k−1): each a variant of its own.
    forms = [lambda a, k: k * a ** k, lambda a, k: k * a ** (k - 2),
             lambda a, k: (k - 1) * a ** (k - 1), lambda a, k: (k + 1) * a ** k,
             lambda a, k: a ** (k - 1)]
    return [_elementwise("pow", lambda a, g, y, k, form=form: g * form(a, int(k)))
            for form in forms]


WRONG_RULES = {
    "no_broadcast_reduction": [_broadcasting(lambda grad, shape: grad),
                               _broadcasting(_leading_only),
                               _broadcasting(_first_axis_once),
                               _broadcasting(_size_one_only)],
    "mean_grad_not_divided": [_mean_by(lambda a: 1), _mean_by(lambda a: a.shape[0]),
                              _mean_by(lambda a: a.shape[-1])],
    "matmul_wrong_side": [_matmul_left, _matmul_right],
    "vjp_sign_dropped": [_sign_dropped],
    "relu_grad_at_zero": [_elementwise("relu", lambda a, g, y, k: g * (a >= 0).to(g.dtype))],
    "tanh_derivative_as_tanh": [_elementwise("tanh", lambda a, g, y, k: g * y),
                                _elementwise("tanh", lambda a, g, y, k: g * (1 - y)),
                                _elementwise("tanh", lambda a, g, y, k: g * y * y)],
    "sigmoid_derivative_from_input": [_elementwise(
        "sigmoid", lambda a, g, y, k: g * a * (1 - a))],
    # The derivative taken at the wrong point: the input x where the formula uses the output
    # y (tanh′ = 1 − y²), or the output y passed through the function again as if it were x.
    "tanh_derivative_from_input": [_elementwise("tanh", lambda a, g, y, k: g * (1 - a * a))],
    "derivative_of_output": [
        _elementwise("tanh", lambda a, g, y, k: g * (1 - torch.tanh(y) ** 2)),
        _elementwise("sigmoid", lambda a, g, y, k: g * torch.sigmoid(y) * (1 - torch.sigmoid(y))),
        _elementwise("exp", lambda a, g, y, k: g * torch.exp(y))],
    "pow_off_by_one": _pow_variants(),
    "quotient_rule_factor_missing": [_quotient_rule(lambda a, b, g: -g * a / b),
                                     _quotient_rule(lambda a, b, g: -g / (b * b))],
}


def wrong_rule_engines(spec: dict, dtype, device, mid: str) -> list:
    """What a right walk gives with each variant of ``mid``'s wrong local rule (only the
    variants that change some node of this graph)."""
    found = []
    for rule in WRONG_RULES[mid]:
        if _rule_applies(spec, rule, dtype, device):
            try:
                found.append(wrong_engine(spec, dtype, device, rule=rule))
            except RuntimeError:  # a wrong shape the ops above cannot take: no answer to match
                continue
    return found


def _rule_applies(spec: dict, rule, dtype, device) -> bool:
    values = build(spec, dtype, device)
    for node, out in zip(spec["nodes"], values):
        if node["op"] in ("leaf", "detach"):
            continue
        inputs = [values[j] for j in node["inputs"]]
        if rule(node["op"], node.get("k"), inputs, torch.ones_like(out), out) is not None:
            return True
    return False


@kit_only
def wrong_engine(spec: dict, dtype, device, accumulate: bool = True, paths: bool = False,
                 order: str | None = None, stop_at_constant: bool = False,
                 stop_at_leaf: bool = False, rule=None) -> list:
    """``accumulate=False``: a shared node's gradient overwritten (the last one wins) in
    a topological walk; ``paths=True``: a recursive walk along every path that assigns
    at the leaves (the last path wins); ``order``: a walk in one of WRONG_ORDERS;
    ``stop_at_constant``: a node's inputs after one that needs no gradient are skipped;
    ``stop_at_leaf``: the walk ends at the first leaf it meets; ``rule``: a wrong local rule
    (a variant of WRONG_RULES) used wherever it applies."""
    nodes, flags = spec["nodes"], requires_grad(spec["nodes"])
    values = build(spec, dtype, device)
    root = spec["root"]
    g0 = grad_root(spec, dtype, device)
    g0 = torch.ones_like(values[root]) if g0 is None else g0
    grads: dict[int, torch.Tensor] = {}
    if paths:
        def go(i, g):
            node = nodes[i]
            if node["op"] == "leaf":
                grads[i] = g
                return
            parts = op_vjp(node["op"], node.get("k"), [values[j] for j in node["inputs"]], g)
            for j, gj in zip(node["inputs"], parts):
                if gj is not None and flags[j]:
                    go(j, gj)
        go(root, g0)
    else:
        grads[root] = g0
        for i in (_order(spec) if order is None else _wrong_order(spec, order)):
            node = nodes[i]
            if node["op"] == "leaf" and stop_at_leaf:
                break
            if node["op"] == "leaf" or i not in grads:
                continue
            ins = [values[j] for j in node["inputs"]]
            parts = None if rule is None else rule(node["op"], node.get("k"), ins, grads[i],
                                                    values[i])
            if parts is None:
                parts = op_vjp(node["op"], node.get("k"), ins, grads[i])
            for j, gj in zip(node["inputs"], parts):
                if gj is None or not flags[j]:
                    if stop_at_constant:
                        break
                    continue
                grads[j] = grads[j] + gj if accumulate and j in grads else gj
    return [grads.get(i) if n["op"] == "leaf" else None for i, n in enumerate(nodes)]
