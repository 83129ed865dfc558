"""How close an answer must be, and what is wrong with one that is not: the checks'
tolerance, in one module that both the expectations (checks/expect.py) and the diagnoses
(checks/diagnose.py) use."""

from __future__ import annotations

import torch

from gradkit.testing import text

# |got - expected| <= RTOL * (|expected| + scale), elementwise. ``scale`` is the
# size of the quantities the answer is computed from (default: the largest
# expected element, never below FLOOR), so the check is relative at every
# magnitude: an answer of size 0.01 is held to 0.01's precision, not to 1's.
# float32: a correct answer computed in another operation order differs from the
# reference by a few units of float32 rounding (about 6e-8) times the sum of the
# terms' sizes; the checks draw inputs without catastrophic cancellation, so 1e-3
# of the answer's scale leaves a margin of over 1000x for that, while a wrong
# factor (2, n, -1), a clamp or a dropped term is far outside it.
# float64: the same reasoning at float64's rounding (about 1e-16): 1e-10 leaves the
# same kind of margin, and a float32 computation cast back (errors near 1e-7) fails.
RTOL = {torch.float32: 1e-3, torch.float64: 1e-10}
FLOOR = {torch.float32: 1e-4, torch.float64: 1e-8}


def tensor_problem(got, expected: torch.Tensor, what: str, scale: float | None) -> str | None:
    """What is wrong with ``got`` as an answer of ``expected``'s contract, or None."""
    if not isinstance(got, torch.Tensor):
        return text("tensor.not_tensor", what=what, kind=kind_of(got))
    if tuple(got.shape) != tuple(expected.shape):
        return text("tensor.shape", what=what, got=tuple(got.shape),
                    expected=tuple(expected.shape)) + _shape_hint(got.shape, expected.shape)
    if got.dtype != expected.dtype:
        return text("tensor.dtype", what=what, got=got.dtype, expected=expected.dtype)
    if _device_of(got) != _device_of(expected):
        return text("tensor.device", what=what, got=_device_of(got), expected=_device_of(expected))
    got_c = got.detach().to("cpu", torch.float64)
    exp_c = expected.detach().to("cpu", torch.float64)
    if not torch.isfinite(got_c).all():
        return text("tensor.nonfinite", what=what)
    rtol = RTOL.get(expected.dtype, 1e-7)
    if scale is None:
        scale = exp_c.abs().max().item() if exp_c.numel() else 1.0
    scale = max(scale, FLOOR.get(expected.dtype, 1e-8))
    err = (got_c - exp_c).abs()
    bad = err > rtol * (exp_c.abs() + scale)
    if not bad.any():
        return None
    where = _first_index(bad)
    by = f"{err.max().item():.3g}"
    if where is None:
        return text("tensor.differs", what=what, by=by)
    return text("tensor.differs_at", what=what, where=where, by=by)


def float32_inside(got, expected) -> bool:
    """Every float64 tensor of ``got`` equals ``expected`` to float32's precision (and
    the answer failed at float64's), and holds only values a float32 can hold exactly:
    the work was done in float32 and cast back (an approximation in float64 is close too,
    but its values are not float32's)."""
    return close_pairs(got, expected, 1e-5) and all(
        bool((g.detach().cpu().double() == g.detach().cpu().float().double()).all())
        for g in (got if isinstance(got, (tuple, list)) else [got]) if isinstance(g, torch.Tensor))


def close_pairs(got, expected, rtol: float) -> bool:
    """Every float64 tensor of ``got`` is within ``rtol`` of ``expected`` (relative to each
    element plus the answer's scale)."""
    pairs = zip(got, expected) if isinstance(expected, tuple) and isinstance(got, (tuple, list)) \
        else [(got, expected)]
    seen = False
    for g, e in pairs:
        if not (isinstance(g, torch.Tensor) and isinstance(e, torch.Tensor)) or \
                g.shape != e.shape or e.dtype != torch.float64:
            return False
        g64, e64 = g.detach().cpu().double(), e.detach().cpu().double()
        scale = max(e64.abs().max().item() if e64.numel() else 0.0, FLOOR[torch.float64])
        if not bool(((g64 - e64).abs() <= rtol * (e64.abs() + scale)).all()):
            return False
        seen = True
    return seen


def kind_of(value) -> str:
    if isinstance(value, torch.Tensor):
        return text("kind.tensor", shape=tuple(value.shape))
    if value is None:
        return text("kind.none")
    return text("kind.other", type=type(value).__name__)


def _device_of(t: torch.Tensor) -> str:
    meta = getattr(t, "gk_meta", None)
    device = torch.device(meta.device if meta else t.device)
    return device.type if device.type == "cpu" else f"{device.type}:{device.index or 0}"


def _shape_hint(got, expected) -> str:
    if tuple(expected) == () and tuple(got) == (1,):
        return text("tensor.shape_scalar")
    if len(got) == len(expected) == 2 and tuple(got) == tuple(reversed(expected)):
        return text("tensor.shape_transposed")
    return ""


def _first_index(mask: torch.Tensor):
    if mask.dim() == 0:
        return None
    idx = mask.nonzero()[0].tolist()
    return tuple(idx) if len(idx) > 1 else idx[0]
