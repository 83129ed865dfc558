"""The engine's ops on small float64 arrays in plain Python, for drawing graphs.

A strategy that keeps each drawn op in its domain has to know the values it is applied to.
Asking torch costs about ten microseconds an op (a millisecond or more per drawn graph, and
``torch.broadcast_shapes`` imports sympy on first use) where these lists cost a few; the
checks build tensors once, after drawing. Each op is computed as torch computes it on the
CPU in float64 (``x ** 2`` as ``x * x``, ``x ** -1`` as ``1 / x``, the mean as the sum
divided by the count), so a drawn graph is the one torch's values would have let through;
tests/test_graphs.py holds the two side by side.
"""

from __future__ import annotations

import math
from itertools import product
from typing import Callable, Sequence

Shape = tuple[int, ...]


class Array:
    """A row-major float64 array: its shape and its values as one flat list."""

    __slots__ = ("shape", "flat")

    def __init__(self, shape: Shape, flat: list[float]) -> None:
        self.shape, self.flat = shape, flat

    @classmethod
    def of(cls, value: object) -> Array:
        """From a nested list (or a number: 0-d), as ``torch.tensor(value)``."""
        shape: list[int] = []
        probe = value
        while isinstance(probe, list):
            shape.append(len(probe))
            probe = probe[0] if probe else 0.0
        return cls(tuple(shape), [float(v) for v in flatten(value)])

    def dim(self) -> int:
        return len(self.shape)

    def numel(self) -> int:
        return len(self.flat)

    def max_abs(self) -> float:
        return max((abs(v) for v in self.flat), default=0.0)


def flatten(value: object) -> list[object]:
    if isinstance(value, list):
        return [v for item in value for v in flatten(item)]
    return [value]


def nest(flat: Sequence[object], shape: Shape) -> object:
    """``flat`` as the nested list of ``shape`` (a bare value for 0-d): ``reshape().tolist()``."""
    if not shape:
        return flat[0]
    step = len(flat) // shape[0] if shape[0] else 0
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def numel(shape: Shape) -> int:
    return math.prod(shape)


def broadcast_shapes(a: Shape, b: Shape) -> Shape | None:
    """The broadcast shape, or None where torch.broadcast_shapes raises."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


def _strides(shape: Shape, out: Shape) -> list[int]:
    """Steps through a flat array of ``shape`` per dimension of ``out`` (0: broadcast)."""
    steps, step = [], 1
    for size in reversed(shape):
        steps.append(0 if size == 1 else step)
        step *= size
    steps.extend([0] * (len(out) - len(shape)))
    return list(reversed(steps))


def _binary(a: Array, b: Array, f: Callable[[float, float], float]) -> Array:
    shape = broadcast_shapes(a.shape, b.shape)
    if shape is None:
        raise ValueError(f"shapes {a.shape} and {b.shape} do not broadcast")
    sa, sb = _strides(a.shape, shape), _strides(b.shape, shape)
    flat = [f(a.flat[sum(i * s for i, s in zip(index, sa))],
              b.flat[sum(i * s for i, s in zip(index, sb))])
            for index in product(*(range(n) for n in shape))]
    return Array(shape, flat)


def _matmul(a: Array, b: Array) -> Array:
    n, k = a.shape
    if b.dim() == 1:
        return Array((n,), [sum(a.flat[i * k + j] * b.flat[j] for j in range(k)) for i in range(n)])
    m = b.shape[1]
    return Array((n, m), [sum(a.flat[i * k + j] * b.flat[j * m + c] for j in range(k))
                          for i in range(n) for c in range(m)])


def _power(x: float, k: int) -> float:
    # As ATen's pow with a scalar exponent: products for 2 and 3, reciprocals for -1 and -2.
    if k == 0:
        return 1.0
    if k == 1:
        return x
    if k == 2:
        return x * x
    if k == 3:
        return x * x * x
    if k == -1:
        return 1.0 / x
    if k == -2:
        return 1.0 / (x * x)
    return float(x ** k)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


_ELEMENTWISE: dict[str, Callable[[float], float]] = {
    "neg": lambda x: -x, "exp": math.exp, "log": math.log, "tanh": math.tanh,
    "sigmoid": _sigmoid, "relu": lambda x: x if x > 0 else 0.0, "detach": lambda x: x,
}
_BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
}


def apply(op: str, args: Sequence[Array], k: int | None = None) -> Array:
    """``op`` on ``args``, as checks/engine_graphs.py's ``apply`` does it with torch."""
    a = args[0]
    if op in _BINARY:
        return _binary(a, args[1], _BINARY[op])
    if op == "matmul":
        return _matmul(a, args[1])
    if op in _ELEMENTWISE:
        return Array(a.shape, [_ELEMENTWISE[op](x) for x in a.flat])
    if op == "pow":
        return Array(a.shape, [_power(x, int(k or 0)) for x in a.flat])
    if op == "sum":
        return Array((), [sum(a.flat)])
    if op == "mean":
        return Array((), [sum(a.flat) / a.numel() if a.flat else math.nan])
    if op == "transpose":
        rows, cols = a.shape
        return Array((cols, rows), [a.flat[i * cols + j] for j in range(cols) for i in range(rows)])
    raise ValueError(op)
