"""Values in plain words, for feedback: short, exact enough to compare by eye."""

from __future__ import annotations

from typing import Any

import torch

MAX_ELEMENTS = 24


class Code(str):
    """Text shown as it is (code that builds a graph, a node's name), never quoted."""


def number(x: float) -> str:
    if isinstance(x, int):
        return str(x)
    text = f"{x:.6g}"
    # Keep floats recognisable as floats: "2.0", not "2" (nan, inf, 1e-07 already are).
    return text if any(c in text for c in ".ein") else text + ".0"


def tensor(t: torch.Tensor) -> str:
    kind = torch.float64 if t.is_floating_point() else t.dtype
    if t.dim() == 0:
        body = number(t.detach().to("cpu", kind).item())
    elif t.numel() > MAX_ELEMENTS:
        # A preview: the first elements in row-major order, never the whole tensor.
        head = t.detach().reshape(-1)[:MAX_ELEMENTS].to("cpu", kind)
        body = _nested(head.tolist())[:-1] + ", ...]"
    else:
        body = _nested(t.detach().to("cpu", kind).tolist())
    # Brackets already show a vector's shape; a 0-d scalar is a bare number.
    extra = [f"shape {tuple(t.shape)}"] if t.dim() > 1 or t.numel() > MAX_ELEMENTS else []
    extra.append(str(t.dtype).removeprefix("torch."))
    if t.device.type != "cpu":
        extra.append(str(t.device))
    return f"{body} ({', '.join(extra)})"


def _nested(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return number(values) if isinstance(values, float) else str(values)


def value(v: Any) -> str:
    if isinstance(v, Code):
        return str(v)
    if isinstance(v, torch.Tensor):
        return tensor(v)
    if isinstance(v, tuple):
        return "(" + ", ".join(value(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, float):
        return number(v)
    if isinstance(v, str):
        return repr(v)
    return str(v)


def inputs(named: dict[str, Any] | None) -> dict[str, str] | None:
    if named is None:
        return None
    return {k: value(v) for k, v in named.items()}


def call(function: str, named: dict[str, Any]) -> str:
    return f"{function}(" + ", ".join(f"{k}={value(v)}" for k, v in named.items()) + ")"
