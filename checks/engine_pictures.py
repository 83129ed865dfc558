"""The engine's picture: the counterexample's graph with the gradient on every node, the
student's beside torch's, and the first wrong node marked.

A student's ``backward`` returns only the leaves' gradients, so the inner nodes are judged
through their ``vjp``: walking from the root (down the node indices, a topological order
since inputs come first), each inner node that a gradient reaches gets the student's
``vjp`` called with *torch's* upstream gradient for that node. The first node whose local
rule disagrees with torch is where the student's backward goes wrong first. If every local
rule is right, the mistake is in the walk itself (order, accumulation, detach), and the
first leaf whose gradient differs is marked.

Not graded: drawn only when a report wants pictures (checks/pictures.py calls this).
"""

from __future__ import annotations

import torch

from checks import engine_graphs as eg
from checks.diagnose import approx
from checks.expect import Case
from gradkit.testing import STUDENT_ERRORS, describe, text

TOPIC = "engine"
MAX_SHOWN = 4  # elements of a gradient written on a node


def spec_of(nodes: list[dict], root: int, grad_root) -> dict:
    """The spec of a backward call's graph (the student's list of dicts, as the case holds it)."""
    spec_nodes = []
    for node in nodes:
        if node["op"] == "leaf":
            spec_nodes.append({"op": "leaf", "value": node["value"].tolist(),
                               "requires_grad": bool(node["requires_grad"])})
        else:
            spec_nodes.append({"op": node["op"], "inputs": list(node["inputs"]),
                               **({"k": node["k"]} if "k" in node else {})})
    g = None if grad_root is None else grad_root.tolist()
    return {"nodes": spec_nodes, "root": int(root), "grad_root": g}


def torch_node_grads(spec: dict, dtype, device="cpu") -> list:
    """Every node's gradient after ``root.backward(grad_root)`` (None where none arrives)."""
    tensors = eg.build(spec, dtype, device, grad=True)
    for t in tensors:
        if t.requires_grad and not t.is_leaf:
            t.retain_grad()
    root = tensors[spec["root"]]
    if root.requires_grad:
        root.backward(eg.grad_root(spec, dtype, device))
    return [None if t.grad is None else t.grad.detach().clone() for t in tensors]


def rules_from_root(spec: dict, nodes: list[dict], truth: list, call_vjp) -> tuple[dict, int | None]:
    """Each inner node's local rule, from the root's side down: ``call_vjp(i, inputs, g)``
    (the student's vjp) given torch's upstream gradient ``truth[i]``. ({node: the parts
    returned, or the StudentError raised}, the first node whose rule disagrees with torch)."""
    found: dict[int, object] = {}
    first = None
    for i in range(len(spec["nodes"]) - 1, -1, -1):
        node = spec["nodes"][i]
        if node["op"] in ("leaf", "detach") or truth[i] is None:
            continue
        inputs = [nodes[j]["value"] for j in node["inputs"]]
        try:
            got = call_vjp(i, inputs, truth[i])
        except STUDENT_ERRORS as exc:
            found[i] = exc
            continue  # a vjp that does not run says nothing about where backward goes wrong
        parts = list(got) if isinstance(got, (list, tuple)) else [got]
        found[i] = parts
        expected = eg.op_vjp(node["op"], node.get("k"), inputs, truth[i])
        right = len(parts) == len(expected) and all(approx(p, e) for p, e in zip(parts, expected))
        if not right and first is None:
            first = i
    return found, first


def walk_with(spec: dict, nodes: list[dict], grad_root, call_vjp) -> list | None:
    """What a right walk (every node after all its users, a shared node's gradients added,
    nothing through detach) leaves at each leaf with the student's own vjp as the local
    rule; None if that vjp raises or returns what cannot be added up."""
    root = spec["root"]
    flags = eg.requires_grad(spec["nodes"])
    grads = {root: torch.ones_like(nodes[root]["value"]) if grad_root is None else grad_root}
    try:
        for i in range(root, -1, -1):  # inputs come first: down the indices is topological
            node = spec["nodes"][i]
            if i not in grads or node["op"] in ("leaf", "detach"):
                continue
            parts = call_vjp(i, [nodes[j]["value"] for j in node["inputs"]], grads[i])
            for j, gj in zip(node["inputs"], parts):
                if gj is not None and flags[j]:
                    grads[j] = grads[j] + gj if j in grads else gj
    except (*STUDENT_ERRORS, TypeError, RuntimeError, ValueError):
        return None
    return [grads.get(i) if n["op"] == "leaf" else None for i, n in enumerate(spec["nodes"])]


def short(t) -> str:
    if not isinstance(t, torch.Tensor):
        return describe.value(t)[:40]
    flat = t.detach().reshape(-1).to("cpu", torch.float64)
    body = ", ".join(f"{v:.4g}" for v in flat[:MAX_SHOWN].tolist())
    if t.dim() == 0:
        return body
    return "[" + body + (", ..." if flat.numel() > MAX_SHOWN else "") + "]"


def _name(spec: dict, i: int) -> str:
    return eg.as_code({"nodes": spec["nodes"][:i + 1]}).splitlines()[-1]


def backward_pair(student, counterexample=None) -> dict:
    """{"student", "reference": {"text", "dot"}, "call", "marked", "note", "plain"}: the
    graph of the failing ``backward`` call (else the curriculum's shared-node example)."""
    if counterexample is not None:
        nodes, root, g = counterexample.args[:3]
        spec = spec_of(nodes, root, g)
        dtype = next(n["value"].dtype for n in nodes)
        call = counterexample.label
    else:
        spec, dtype = eg.worked("shared"), torch.float32
        nodes = eg.student_graph(spec, dtype, "cpu")
        root, g = spec["root"], eg.grad_root(spec, dtype, "cpu")
        call = f"backward(nodes, {root}, {g})"
    truth = torch_node_grads(spec, dtype)
    try:
        yours = Case(student, TOPIC, "backward", nodes, root, g).run().value
    except STUDENT_ERRORS:
        yours = None
    mine: dict[int, str] = {}
    marked = note = None
    order = range(len(spec["nodes"]) - 1, -1, -1)  # from the root's side to the leaves

    def call_vjp(i, inputs, g):
        return Case(student, TOPIC, "vjp", nodes[i], inputs, g).run().value

    rules, first = rules_from_root(spec, nodes, truth, call_vjp)
    for i, parts in rules.items():
        if isinstance(parts, list):
            mine[i] = text("engine.picture.vjp", parts=", ".join(
                f"t{j}: {short(p)}" for j, p in zip(spec["nodes"][i]["inputs"], parts)))
        else:
            mine[i] = text("engine.picture.vjp_error", error=str(parts.message)[:60])
    if first is not None:
        marked, note = first, text("engine.picture.wrong_vjp", node=f"t{first}",
                                   op=spec["nodes"][first]["op"])
    for i in sorted(i for i, n in enumerate(spec["nodes"]) if n["op"] == "leaf"):
        got = yours[i] if isinstance(yours, (list, tuple)) and i < len(yours) else None
        mine[i] = text("engine.picture.yours", value="None" if got is None else short(got))
        same = (got is None) == (truth[i] is None) and (got is None or approx(got, truth[i]))
        if not same and marked is None:
            marked, note = i, text("engine.picture.walk")
    reference = {i: text("engine.picture.grad", value="None" if t is None else short(t))
                 for i, t in enumerate(truth)}
    lines = list(order)
    return {"student": _drawing(spec, lines, mine, marked),
            "reference": _drawing(spec, lines, reference, None),
            "call": call, "plain": True, "note": note,
            "marked": None if marked is None else lines.index(marked),
            "counterexample": counterexample is not None}


def _drawing(spec: dict, lines: list[int], labels: dict[int, str], marked) -> dict:
    """The graph as text (one node a line, root first) and as DOT (edges in the direction
    gradients flow, from each node to its inputs)."""
    text_lines = [f"{_name(spec, i)}    {labels.get(i, '')}".rstrip() for i in lines]
    dot = ["digraph {", 'node [shape=box, fontname="monospace", fontsize=10]']
    for i in lines:
        label = f"{_name(spec, i)}  |  {labels.get(i, '')}".replace('"', "'")
        fill = ', style=filled, fillcolor="#ffcdd2"' if i == marked else ""
        dot.append(f'n{i} [label="{label}"{fill}]')
    for i in lines:
        for j in dict.fromkeys(spec["nodes"][i].get("inputs", [])):
            dot.append(f"n{i} -> n{j}")
    dot.append("}")
    return {"text": "\n".join(text_lines), "dot": "\n".join(dot)}
