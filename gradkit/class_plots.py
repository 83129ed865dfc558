"""The class page's charts, drawn by matplotlib (Agg, no display) as inline SVG.

Text stays text (``svg.fonttype = none``: small, searchable, rendered in the page's
own font, CJK included), ids come from a fixed salt and no date is written, so the
same class gives the same page byte for byte.
"""

from __future__ import annotations

import io
import warnings
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")  # before pyplot: never a display, never a GUI toolkit

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# (typed Any: matplotlib's stubs list every rc key as a Literal)
STYLE: Any = {"svg.fonttype": "none", "svg.hashsalt": "gradkit-class", "font.size": 9,
         "axes.spines.top": False, "axes.spines.right": False}
# Buckets of a function's score, as a share of its points (the stacked bars' segments).
BUCKETS = ((0.0, "#c62828"), (0.5, "#ef6c00"), (1.0, "#f9a825"), (None, "#2e7d32"))


def bucket(score: float, most: float) -> int:
    """0: no points, 1: under half, 2: half or more but not full, 3: full marks."""
    if most <= 0 or score <= 0:
        return 0
    if score >= most:
        return 3
    return 1 if score / most < 0.5 else 2


def _svg(fig: plt.Figure) -> str:
    out = io.StringIO()
    with warnings.catch_warnings():
        # Text is written as text and the browser draws it in the page's fonts (CJK
        # included); matplotlib only measures it, with a font that may lack the glyphs.
        warnings.filterwarnings("ignore", "Glyph .* missing from font")
        fig.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg"):]  # the page is HTML: no XML declaration or DOCTYPE


def histogram(percents: Sequence[float], xlabel: str, ylabel: str) -> str:
    """The distribution of total scores (0-100 % of the maximum), ten-point bins."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 2.6))
        ax.hist(list(percents), bins=[i * 10 for i in range(11)], color="#1565c0",
                edgecolor="white")
        ax.set_xlim(0, 100)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(fig)


def function_bars(names: Sequence[str], counts: Sequence[Sequence[int]], labels: Sequence[str],
                  xlabel: str) -> str:
    """One horizontal bar per function, split into the four score buckets (``counts``:
    students per bucket per function, in ``BUCKETS`` order; ``labels`` names them)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.24 * len(names)))
        rows = list(range(len(names)))
        left = [0] * len(names)
        for b, (_, colour) in enumerate(BUCKETS):
            widths = [c[b] for c in counts]
            ax.barh(rows, widths, left=left, color=colour, label=labels[b], height=0.7)
            left = [x + w for x, w in zip(left, widths)]
        ax.set_yticks(rows, list(names))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False,
                  fontsize=8)
        return _svg(fig)
