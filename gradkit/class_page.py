"""The instructor's class page: one self-contained HTML file (inline CSS and SVG, no
script, no network) that says what the class got wrong, at a glance.

Aggregates only, whatever the class size: the score distribution overall and per
function, misconceptions ranked by how many students show them (one example each),
the checks most students fail, the students flagged for review, the isolation the
grading had, and near-identical pairs of submissions. Lists are capped, so a class of
5,000 gives a page of the same order of size as a class of 50. Numbers carry
``data-*`` attributes, so a test (or a script) can read them back.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from . import class_plots
from .class_stats import ClassStats
from .i18n import misconception, text
from .similarity import MAX_PAIRS, Pair

MAX_CHECKS = 30
MAX_FLAGGED = 100
HARD = 0.5  # a check passed by fewer than half of the students who ran it

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;
margin:0;padding:1rem;background:#f6f7f9;color:#1d2330;line-height:1.45}
main{max-width:72rem;margin:auto}h1{font-size:1.4rem;margin:.2rem 0}
h2{font-size:1.15rem;margin:1.6rem 0 .4rem}section{background:#fff;border:1px solid #dde1e8;
border-radius:8px;padding:.8rem 1rem;margin:.6rem 0;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;
padding:.25rem .5rem;border-bottom:1px solid #eceff3;vertical-align:top}th{color:#5b6475}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,.mono{font-family:ui-monospace,monospace;font-size:.85rem;word-break:break-word}
svg{max-width:100%;height:auto}.note{color:#5b6475;font-size:.9rem}
.warn{border-left:4px solid #c62828;padding:.2rem .6rem;background:#fdf3f3}
"""


def write(stats: ClassStats, path: Path, pairs: list[Pair] | None, lang: str) -> Path:
    """The page at ``path``, written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page(stats, pairs, lang), encoding="utf-8")
    os.replace(tmp, path)
    return path


def page(stats: ClassStats, pairs: list[Pair] | None, lang: str) -> str:
    """``pairs`` None: similarity was not checked (no submissions folder given)."""
    e = html.escape
    title = text("class.title", lang)
    parts = [f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
             '<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
             f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>",
             f"<h1>{e(title)}</h1>", _summary(stats, lang), _distribution(stats, lang),
             _functions(stats, lang), _misconceptions(stats, lang), _hard_checks(stats, lang),
             _similar(pairs, lang), _flagged(stats, lang), _isolation(stats, lang),
             "</main></body></html>"]
    return "\n".join(parts)


def _section(sid: str, heading: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{html.escape(heading)}</h2>{body}</section>'


def _table(headers: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _more(shown: int, total: int, lang: str) -> str:
    return (f'<p class="note">{html.escape(text("class.more", lang, n=total - shown))}</p>'
            if total > shown else "")


def _summary(stats: ClassStats, lang: str) -> str:
    graded = [s for s in stats.totals if s not in set(stats.ungraded)]
    scores = [stats.totals[s][0] for s in graded]
    most = max((stats.totals[s][1] for s in graded), default=0.0)
    mean = sum(scores) / len(scores) if scores else 0.0
    line = text("class.summary", lang, students=stats.students, graded=len(graded),
                ungraded=len(stats.ungraded), mean=f"{mean:.2f}", max=f"{most:g}")
    return (f'<p id="summary" data-students="{stats.students}" data-graded="{len(graded)}" '
            f'data-ungraded="{len(stats.ungraded)}" data-mean="{mean:.4f}">{html.escape(line)}</p>')


def _distribution(stats: ClassStats, lang: str) -> str:
    percents = [100.0 * s / m if m else 0.0 for s, m in stats.totals.values()]
    svg = class_plots.histogram(percents, text("class.share", lang), text("class.students", lang))
    return _section("distribution", text("class.distribution", lang), svg)


def _functions(stats: ClassStats, lang: str) -> str:
    functions = stats.ordered_functions()
    if not functions:
        return ""
    counts = []
    for f in functions:
        row = [0, 0, 0, 0]
        for s in f.scores:
            row[class_plots.bucket(s, f.max_score)] += 1
        counts.append(row)
    labels = [text(k, lang) for k in ("class.bucket_zero", "class.bucket_low", "class.bucket_high",
                                      "class.bucket_full")]
    svg = class_plots.function_bars([f.function for f in functions], counts, labels,
                                    text("class.students", lang))
    e = html.escape
    rows = [f'<tr data-function="{e(f.topic)}.{e(f.function)}" data-mean="{f.mean:.4f}" '
            f'data-full="{f.full_marks}" data-n="{len(f.scores)}"><td class="mono">{e(f.topic)}.'
            f'{e(f.function)}</td><td class="n">{f.mean:.2f} / {f.max_score:g}</td>'
            f'<td class="n">{f.full_marks} / {len(f.scores)}</td></tr>' for f in functions]
    table = _table([text("class.function", lang), text("class.mean", lang),
                    text("class.full_marks", lang)], rows)
    return _section("functions", text("class.per_function", lang), svg + table)


def _misconceptions(stats: ClassStats, lang: str) -> str:
    e = html.escape
    ranked = stats.ranked_misconceptions()
    if not ranked:
        return _section("misconceptions", text("class.misconceptions", lang),
                        f'<p class="note">{e(text("class.no_misconceptions", lang))}</p>')
    rows = []
    for m in ranked:  # the catalog of named mistakes is finite: no cap needed
        where = ", ".join(f"{fn} ({n})" for fn, n in m.functions.most_common())
        example = ""
        if m.example:
            x = m.example
            example = (f'<div class="note">{e(text("class.example", lang, student=x.student, function=x.function))}'
                       f'</div><code>{e(x.call)}</code><div class="note">{e(text("report.expected", lang))}: '
                       f'<code>{e(x.expected)}</code> · {e(text("report.got", lang))}: <code>{e(x.got)}</code></div>')
        rows.append(f'<tr data-mid="{e(m.mid)}" data-students="{len(m.students)}">'
                    f'<td class="n">{len(m.students)}</td><td><b class="mono">{e(m.mid)}</b><br>'
                    f'{e(_described(m.mid, lang))}<div class="note">{e(where)}</div></td>'
                    f"<td>{example}</td></tr>")
    table = _table([text("class.students", lang), text("class.misconception", lang),
                    text("class.example_heading", lang)], rows)
    return _section("misconceptions", text("class.misconceptions", lang), table)


def _described(mid: str, lang: str) -> str:
    try:
        return misconception(mid, lang)
    except KeyError:  # a results file from a kit whose catalog had another id
        return ""


def _hard_checks(stats: ClassStats, lang: str) -> str:
    e = html.escape
    hard = [c for c in stats.hardest_checks() if c.pass_rate < HARD]
    note = f'<p class="note">{e(text("class.hard_checks_note", lang, n=MAX_CHECKS))}</p>'
    if not hard:
        return _section("checks", text("class.hard_checks", lang),
                        note + f'<p class="note">{e(text("class.no_hard_checks", lang))}</p>')
    rows = [f'<tr data-check="{e(c.check)}" data-passed="{c.passed}" data-failed="{c.failed}">'
            f'<td class="mono">{e(c.check)}</td><td class="mono">{e(c.function)}</td>'
            f'<td class="n">{c.pass_rate:.0%} ({c.passed} / {c.passed + c.failed})</td></tr>'
            for c in hard[:MAX_CHECKS]]
    table = _table([text("class.check", lang), text("class.function", lang),
                    text("class.pass_rate", lang)], rows)
    return _section("checks", text("class.hard_checks", lang),
                    note + table + _more(min(len(hard), MAX_CHECKS), len(hard), lang))


def _similar(pairs: list[Pair] | None, lang: str) -> str:
    e = html.escape
    note = f'<p class="note">{e(text("class.similar_note", lang))}</p>'
    if pairs is None:
        body = f'<p class="note">{e(text("class.similar_not_checked", lang))}</p>'
    elif not pairs:
        body = f'<p class="note">{e(text("class.similar_none", lang))}</p>'
    else:
        rows = [f'<tr data-pair="{e(p.a)}|{e(p.b)}" data-similarity="{p.similarity:.3f}">'
                f'<td class="mono">{e(p.a)}</td><td class="mono">{e(p.b)}</td>'
                f'<td class="n">{p.coverage[0]:.0%} · {p.coverage[1]:.0%}</td></tr>'
                for p in pairs[:MAX_PAIRS]]
        body = _table([text("class.student", lang), text("class.student", lang),
                       text("class.similarity", lang)], rows) + _more(
            min(len(pairs), MAX_PAIRS), len(pairs), lang)
    return _section("similar", text("class.similar", lang), note + body)


def _flagged(stats: ClassStats, lang: str) -> str:
    e = html.escape
    note = f'<p class="note">{e(text("class.flagged_note", lang))}</p>'
    if not stats.flagged:
        return _section("flagged", text("class.flagged", lang),
                        note + f'<p class="note">{e(text("class.none_flagged", lang))}</p>')
    shown = sorted(stats.flagged, key=lambda f: f.student)[:MAX_FLAGGED]
    rows = [f'<tr data-student="{e(f.student)}"><td class="mono">{e(f.student)}</td>'
            f'<td class="mono">{e(f.what[:300])}</td></tr>' for f in shown]
    table = _table([text("class.student", lang), text("class.why_flagged", lang)], rows)
    return _section("flagged", text("class.flagged", lang),
                    note + table + _more(len(shown), len(stats.flagged), lang))


def _isolation(stats: ClassStats, lang: str) -> str:
    e = html.escape
    rows = [f'<tr data-level="{e(level)}" data-count="{n}"><td class="mono">{e(level)}</td>'
            f'<td class="n">{n}</td></tr>' for level, n in sorted(stats.isolation.items())]
    warn = (f'<p class="warn">{e(text("class.isolation_weak", lang))}</p>'
            if "none" in stats.isolation else "")
    table = _table([text("class.isolation_level", lang), text("class.students", lang)], rows)
    return _section("isolation", text("class.isolation", lang), warn + table)
