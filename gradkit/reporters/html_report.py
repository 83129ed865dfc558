"""The HTML report: one self-contained page (inline CSS and SVG, no network),
readable on a phone. Per function: verdict, counterexample, the likely mistake,
the student's autograd graph next to the reference's, and for the training
loops the loss curve and parameter path against the reference's."""

from __future__ import annotations

import html
import os
from pathlib import Path

from .. import catalog, render
from ..i18n import misconception, text
from ..results import PASSED, FunctionResult, GradeResult
from .terminal import parts_text, profile_text, shown_check, spaced

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;
margin:0;padding:1rem;background:#f6f7f9;color:#1d2330;line-height:1.45}
main{max-width:72rem;margin:auto}h1{font-size:1.4rem;margin:.2rem 0}
h2{font-size:1.15rem;margin:1.6rem 0 .4rem}.total{font-size:1.1rem;font-weight:600}
.fn{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:.8rem 1rem;margin:.6rem 0}
.fn header{display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline}
.fn header b{font-family:ui-monospace,monospace;font-size:1rem}.score{margin-left:auto}
.badge{border-radius:4px;padding:0 .45rem;font-size:.85rem;color:#fff}
.passed{background:#2e7d32}.partial,.provisional{background:#b26a00}.failed{background:#c62828}
pre{background:#f0f2f5;padding:.5rem;border-radius:6px;overflow-x:auto;font-size:.85rem;
white-space:pre-wrap;word-break:break-word}
.why{border-left:4px solid #8e24aa;padding:.2rem .6rem;background:#faf5fc}
.pair{display:flex;flex-wrap:wrap;gap:.8rem}.pair figure{flex:1 1 18rem;margin:0;min-width:0}
figure svg{max-width:100%;height:auto}figcaption{font-weight:600;font-size:.9rem}
.graphs figure{overflow:auto;max-height:85vh;-webkit-overflow-scrolling:touch}
.graphs figure svg{max-width:none;min-width:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .6rem;margin:.4rem 0}
dt{color:#5b6475}dd{margin:0;font-family:ui-monospace,monospace;font-size:.85rem;
word-break:break-word}.note{color:#5b6475;font-size:.9rem}
@media (max-width:40rem){dl{grid-template-columns:1fr}dd{margin-bottom:.3rem}}
"""
STATUS = {PASSED: "report.passed", "partial": "report.partial", "failed": "report.failed",
          "provisional": "report.provisional"}


def write(result: GradeResult, folder: str) -> str:
    """Write ``folder/index.html``; returns its path."""
    path = Path(folder) / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(page(result), encoding="utf-8")
    os.replace(tmp, path)
    return str(path)


def page(result: GradeResult) -> str:
    lang = result.language
    e = html.escape
    parts = [f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
             '<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
             f"<title>{e(text('report.title', lang))}</title><style>{CSS}</style></head><body><main>",
             f"<h1>{e(text('report.title', lang))}</h1>",
             f"<p>{e(text('report.grading', lang, target=result.submission))}</p>",
             f'<p class="total">{e(text("report.total", lang))}: {result.score:g} / {result.max_score:g}</p>']
    wants_pictures = any((f.pictures or {}).get("graphs") for f in result.functions)
    if wants_pictures and not render.dot_available():
        parts.append(f'<p class="note">{e(text("report.no_dot", lang))}</p>')
    for note in result.notes:
        parts.append(f'<p class="note">{e(text("report.note", lang))}: {e(note)}</p>')
    for name in dict.fromkeys(f.topic for f in result.functions):
        topic = catalog.topic(name)
        parts.append(f"<h2>{e(name)} — {e(topic.title_zh if lang == 'zh' else topic.title)}</h2>")
        parts += [_function(fn, lang) for fn in result.functions if fn.topic == name]
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _function(fn: FunctionResult, lang: str) -> str:
    e = html.escape
    out = [f'<section class="fn" id="{e(fn.function)}"><header><b>{e(fn.function)}</b>'
           f'<span class="badge {fn.status}">{e(text(STATUS[fn.status], lang))}</span>'
           f'<span class="score">{fn.score:g} / {fn.max_score:g}</span></header>']
    if fn.failed:
        # The check whose own counterexample a named mistake explains, else the first.
        first = shown_check(fn.failed)
        out.append(f"<p>{e(spaced(first.message) if lang == 'zh' else first.message)}</p>")
        graph = (first.inputs or {}).get("graph")
        rows = []
        if graph:
            rows.append((text("report.graph", lang), f"<pre>{e(graph)}</pre>"))
        if first.call:
            rows.append((text("report.smallest", lang), e(first.call)))
        if first.expected is not None or first.got is not None:
            rows.append((text("report.expected", lang), e(first.expected or "")))
            rows.append((text("report.got", lang), e(first.got or "")))
        if rows:
            out.append("<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>")
        if first.misconception:
            out.append(f'<p class="why"><b>{e(text("report.diagnosis", lang))}:</b> '
                       f"{e(misconception(first.misconception, lang))}</p>")
            if first.parts:
                out.append(f'<p class="why parts">'
                           f'{e(parts_text(first.parts, lang))}</p>')
        elif first.profile:
            out.append(f'<p class="why profile">{e(profile_text(first.profile, lang))}</p>')
        if first.output:
            out.append(f'<p class="note">{e(text("report.output", lang))}:</p>'
                       f'<pre class="printed">{e(first.output)}</pre>')
        out.append(f'<p class="note">{e(text("report.hint", lang, function=fn.function))}</p>')
    pictures = fn.pictures or {}
    if pictures.get("graphs"):
        out.append(_graphs(pictures["graphs"], lang))
    if pictures.get("curves"):
        out.append(_curves(pictures["curves"], lang))
    out.append("</section>")
    return "\n".join(out)


def _graphs(drawn: dict, lang: str) -> str:
    figures = []
    for who, key in (("student", "report.your_graph"), ("reference", "report.reference_graph")):
        d = drawn.get(who) or {}
        picture = render.svg(d.get("dot", "")) if d.get("dot") else None
        fallback = d.get("text") or d.get("error") or text("report.no_graph", lang)
        body = picture or f"<pre>{html.escape(fallback)}</pre>"
        figures.append(f'<figure class="{who}"><figcaption>{html.escape(text(key, lang))}'
                       f"</figcaption>{body}</figure>")
    caption = (f'<p class="note drawn-for">{html.escape(text("report.drawn_for", lang, call=drawn["call"]))}</p>'
               if drawn.get("call") else "")
    note = (f'<p class="note marked">{html.escape(drawn["note"])}</p>' if drawn.get("note")
            else "")
    return caption + '<div class="pair graphs">' + "".join(figures) + "</div>" + note


def _curves(curves: dict, lang: str) -> str:
    parted = curves.get("parted_at")
    caption = text("report.loss_curve", lang) + (
        " — " + text("report.parted", lang, step=parted) if parted is not None else "")
    labels = {"student": text("report.yours", lang), "reference": text("report.reference", lang)}
    # The loss plot's point i is step i + 1, the path's point k is after k steps.
    losses = _plot({k: list(enumerate(v, start=1)) for k, v in curves["losses"].items()}, labels,
                   None if parted is None else parted - 1, x_label=text("report.step", lang),
                   y_label=text("report.loss", lang))
    path = _plot({k: [tuple(p) for p in v] for k, v in curves["paths"].items()}, labels, parted,
                 x_label="w", y_label="b")
    return (f'<div class="pair curves"><figure><figcaption>{html.escape(caption)}</figcaption>'
            f'{losses}</figure><figure><figcaption>(w, b)</figcaption>{path}</figure></div>')


COLOURS = {"student": "#1565c0", "reference": "#9e9e9e"}


def _plot(series: dict[str, list[tuple[float, float]]], labels: dict[str, str],
          parted: int | None = None, x_label: str = "", y_label: str = "",
          width: int = 360, height: int = 220, pad: int = 34) -> str:
    """Lines on shared axes, hand-drawn SVG (no plotting library, no network)."""
    points = [p for line in series.values() for p in line]
    if not points:
        return "<pre>—</pre>"
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (width - 2 * pad) / ((x1 - x0) or 1)
    sy = (height - 2 * pad) / ((y1 - y0) or 1)

    def at(p: tuple[float, float]) -> str:
        return f"{pad + (p[0] - x0) * sx:.1f},{height - pad - (p[1] - y0) * sy:.1f}"
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg">',
           f'<rect x="{pad}" y="{pad}" width="{width - 2 * pad}" height="{height - 2 * pad}" '
           'fill="none" stroke="#ccc"/>',
           f'<text x="{width / 2}" y="{height - 6}" font-size="11" text-anchor="middle">{html.escape(x_label)}</text>',
           f'<text x="10" y="{height / 2}" font-size="11" transform="rotate(-90 10 {height / 2})" '
           f'text-anchor="middle">{html.escape(y_label)}</text>']
    for who in ("reference", "student"):
        line = series.get(who) or []
        if line:
            dash = ' stroke-dasharray="5 3"' if who == "reference" else ""
            out.append(f'<polyline fill="none" stroke="{COLOURS[who]}" stroke-width="2"{dash} '
                       f'points="{" ".join(at(p) for p in line)}"><title>{html.escape(labels[who])}</title>'
                       "</polyline>")
    mine = series.get("student") or []
    if parted is not None and mine:
        x, y = at(mine[min(parted, len(mine) - 1)]).split(",")
        out.append(f'<circle cx="{x}" cy="{y}" r="5" fill="none" stroke="#c62828" stroke-width="2"/>')
    # Axis values: both ends of each axis.
    for value, tick_x in ((x0, pad), (x1, width - pad)):
        out.append(f'<text class="tick" x="{tick_x}" y="{height - pad + 12}" font-size="9" '
                   f'text-anchor="middle">{value:.3g}</text>')
    for value, tick_y in ((y0, height - pad), (y1, pad)):
        out.append(f'<text class="tick" x="{pad - 3}" y="{tick_y + 3}" font-size="9" '
                   f'text-anchor="end">{value:.3g}</text>')
    legend_y = pad - 10
    for i, who in enumerate(("student", "reference")):
        out.append(f'<text x="{pad + i * 90}" y="{legend_y}" font-size="11" fill="{COLOURS[who]}">'
                   f"— {html.escape(labels[who])}</text>")
    out.append("</svg>")
    return "".join(out)
