"""What the Evaluate tab shows of a :class:`~playground.evals.Summary`, built without a browser: the
summary rows, the two plots (small SVGs drawn here), the cases × variants matrix with its filters,
one cell's detail, the progress bar and the static HTML report."""

from __future__ import annotations

import html
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from playground.evals import Attempt, Summary
from playground.evals.reports import comparison_cells, fmt_num

SUMMARY_COLUMNS = ["variant", "mean [95% CI]", "cases × repeats", "pass rate [95% CI]", "Δ vs baseline [95% CI]",
                   "W/T/L", "p", "verdict", "flaky", "p50 latency ms", "tokens in / out", "cost $", "errors"]
MARK_PASS, MARK_FAIL, MARK_ERROR, MARK_WAIT, MARK_TODO = "✓", "✗", "⚠", "?", "·"
FILTERS = ("failures", "differs from baseline", "flaky", "errors")


_num = fmt_num


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


# -- summary ----------------------------------------------------------------------------------------------
def summary_rows(summary: Summary) -> list[list[str]]:
    """One row per variant (``SUMMARY_COLUMNS``): mean ± CI over cases, pass rate with its interval,
    the paired comparison with the baseline, consistency, latency, tokens, cost and errors."""
    rows = []
    for v in summary.variants:
        delta, wtl, p, verdict = comparison_cells(v.vs_baseline)
        rate = "—" if v.pass_rate is None else f"{_pct(v.pass_rate)} [{_pct(v.pass_ci_low)}, {_pct(v.pass_ci_high)}]"
        rows.append([v.id, f"{_num(v.mean)} [{_num(v.ci_low)}, {_num(v.ci_high)}]", f"{v.n_cases} × {summary.repeats}",
                     rate, delta, wtl, p, verdict, str(len(v.flaky_cases)), _num(v.latency_ms_p50, ".0f"),
                     f"{v.input_tokens} / {v.output_tokens}", f"{v.cost_usd:.4f}", str(v.errors)])
    return rows


def summary_frame(summary: Summary) -> pd.DataFrame:
    return pd.DataFrame(summary_rows(summary), columns=SUMMARY_COLUMNS)


def summary_notes(summary: Summary) -> list[str]:
    """The lines under the table: what a non-verdict could have detected, the gate, an early stop."""
    notes = []
    for v in summary.variants:
        c = v.vs_baseline
        if c is not None and c.min_detectable_diff is not None and c.verdict not in ("better", "worse"):
            notes.append(f"{v.id}: with {c.n_shared} shared cases, a difference smaller than about "
                         f"{c.min_detectable_diff:.3f} would usually go undetected; add cases to see smaller ones.")
    if summary.gate is not None:
        notes.append("Gate: " + ("passed" if summary.gate.passed else "FAILED — " + "; ".join(summary.gate.reasons)))
    if summary.stopped:
        notes.append(f"The run stopped early ({summary.stopped.replace('_', ' ')}): press Resume to continue it.")
    return notes


# -- plots (inline SVG: no external assets, the same in the tab and the report) ----------------------------
def interval_svg(summary: Summary, width: int = 460) -> str:
    """Each variant's mean (dot) and 95% interval (bar) on a 0-1 score axis."""
    row_h, left, right, top = 26, 90, 20, 24
    height = top + row_h * len(summary.variants) + 24
    span = width - left - right

    def x(score: float) -> float:
        return left + span * min(1.0, max(0.0, score))

    parts = [_svg_open(width, height, "Mean score per variant with its 95% interval")]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" y2="{height - 20}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 6}" font-size="11" text-anchor="middle">{tick:g}</text>')
    for i, v in enumerate(summary.variants):
        y = top + row_h * i + row_h / 2
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end">{html.escape(v.id)}</text>')
        if v.ci_low is not None and v.ci_high is not None:
            parts.append(f'<line x1="{x(v.ci_low):.1f}" y1="{y:.1f}" x2="{x(v.ci_high):.1f}" y2="{y:.1f}" '
                         'stroke="#4a78c2" stroke-width="3"/>')
        if v.mean is not None:
            parts.append(f'<circle cx="{x(v.mean):.1f}" cy="{y:.1f}" r="5" fill="#1f3f7a">'
                         f'<title>{html.escape(v.id)}: {v.mean:.3f} [{_num(v.ci_low)}, {_num(v.ci_high)}]</title>'
                         '</circle>')
    parts.append("</svg>")
    return "".join(parts)


def cost_svg(summary: Summary, width: int = 460, height: int = 220) -> str:
    """Score (mean, with its interval) against cost, one point per variant."""
    left, right, top, bottom = 50, 20, 24, 36
    points = [v for v in summary.variants if v.mean is not None]
    costs = [v.cost_usd for v in points] or [0.0]
    low, high = min(costs), max(costs)
    if high - low < 1e-12:  # one cost: centre it
        low, high = 0.0, (high * 2) or 1.0
    else:  # the range the variants span, padded: close costs stay apart
        pad = (high - low) * 0.15
        low, high = max(0.0, low - pad), high + pad
    span_x, span_y = width - left - right, height - top - bottom

    def x(cost: float) -> float:
        return left + span_x * (cost - low) / (high - low)

    def y(score: float) -> float:
        return top + span_y * (1 - min(1.0, max(0.0, score)))

    parts = [_svg_open(width, height, "Mean score against cost per variant")]
    for tick in (0, 0.5, 1):
        parts.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end">{tick:g}</text>')
    parts.append(f'<text x="{left + span_x / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle">'
                 f'cost $ ({low:.4g} to {high:.4g})</text>')
    for v in points:
        cx, cy = x(v.cost_usd), y(v.mean)
        if v.ci_low is not None and v.ci_high is not None:
            parts.append(f'<line x1="{cx:.1f}" y1="{y(v.ci_low):.1f}" x2="{cx:.1f}" y2="{y(v.ci_high):.1f}" '
                         'stroke="#4a78c2" stroke-width="2"/>')
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="#1f3f7a"><title>{html.escape(v.id)}: '
                     f'{v.mean:.3f}, ${v.cost_usd:.4f}</title></circle>')
        parts.append(f'<text x="{cx + 8:.1f}" y="{cy - 6:.1f}" font-size="12">{html.escape(v.id)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif"><title>{html.escape(title)}</title>')


# -- the matrix -----------------------------------------------------------------------------------------
def by_slot(summary: Summary) -> dict[tuple[str, str, int], Attempt]:
    return {a.slot: a for a in summary.attempts}


def mark(attempt: Attempt | None) -> str:
    """One repeat's mark: ✓ passed, ✗ failed, ⚠ errored, ? waiting for a human grade, · not run yet."""
    if attempt is None:
        return MARK_TODO
    if attempt.error is not None:
        return MARK_ERROR
    if attempt.passed is None:
        return MARK_WAIT
    return MARK_PASS if attempt.passed else MARK_FAIL


def cell_text(summary: Summary, slots: dict[tuple[str, str, int], Attempt], variant: str, case: str) -> str:
    """``"0.67 ✓✗✓"``: the case's mean score over its scored repeats, then one mark per repeat."""
    cell = summary.variant(variant).cases[case]
    marks = "".join(mark(slots.get((variant, case, r))) for r in range(summary.repeats))
    return f"{_num(cell.score, '.2f')} {marks}"


@dataclass(frozen=True)
class MatrixFilter:
    """Which rows the matrix keeps (every one when nothing is set)."""

    failures: bool = False
    differs: bool = False
    flaky: bool = False
    errors: bool = False
    text: str = ""

    @classmethod
    def from_form(cls, chosen: Sequence[str] | None, text: str | None) -> MatrixFilter:
        chosen = set(chosen or ())
        return cls("failures" in chosen, "differs from baseline" in chosen, "flaky" in chosen, "errors" in chosen,
                   (text or "").strip())


def case_texts(summary: Summary) -> dict[str, list[str]]:
    """Per case: what the text filter searches (its id, its variables, every output), in one pass."""
    out: dict[str, list[str]] = {c: [c] for c in (summary.variants[0].cases if summary.variants else ())}
    for a in summary.attempts:
        texts = out.setdefault(a.case, [a.case])
        if len(texts) == 1:
            texts.extend(a.vars.values())
        texts.append(a.output)
    return out


def keep_case(summary: Summary, texts: dict[str, list[str]], case: str, f: MatrixFilter) -> bool:
    """Whether the matrix shows ``case`` under filter ``f`` (the checked conditions must all hold);
    ``texts``: :func:`case_texts`."""
    cells = [v.cases[case] for v in summary.variants]
    base = summary.variant(summary.baseline).cases[case]
    if f.failures and not any(c.passed is False for c in cells):
        return False
    if f.differs and not any(c.passed != base.passed or (c.score is not None and base.score is not None
                                                          and not math.isclose(c.score, base.score, abs_tol=1e-9))
                             for c in cells):
        return False
    if f.flaky and not any(c.flaky for c in cells):
        return False
    if f.errors and not any(c.errors for c in cells):
        return False
    if f.text:
        needle = f.text.lower()
        if not any(needle in t.lower() for t in texts.get(case, [case])):
            return False
    return True


def matrix_frame(summary: Summary, f: MatrixFilter = MatrixFilter(), case_order: Sequence[str] = ()) -> pd.DataFrame:
    """Cases × variants: the first column the case id, then one cell per variant (:func:`cell_text`)."""
    slots = by_slot(summary)
    ids = [v.id for v in summary.variants]
    cases = list(case_order) or list(summary.variants[0].cases) if summary.variants else []
    texts = case_texts(summary) if f.text else {}
    rows = [[c, *(cell_text(summary, slots, v, c) for v in ids)] for c in cases if keep_case(summary, texts, c, f)]
    return pd.DataFrame(rows, columns=["case", *ids])


# -- one cell ---------------------------------------------------------------------------------------------
def cell_html(summary: Summary, variant: str, case: str) -> str:
    """Each repeat of one cell: mark, score, latency, cost, the output and every assertion's reason."""
    slots = by_slot(summary)
    attempts = [slots.get((variant, case, r)) for r in range(summary.repeats)]
    first = next((a for a in attempts if a is not None), None)
    head = f"<h4>{html.escape(case)} × {html.escape(variant)}</h4>"
    if first is not None:
        head += "<p>" + ", ".join(f"<code>{html.escape(k)}</code> = {html.escape(v)}" for k, v in first.vars.items()) \
            + "</p>"
    parts = [head]
    for r, a in enumerate(attempts):
        if a is None:
            parts.append(f"<p><b>Repeat {r + 1}</b> {MARK_TODO} not run yet</p>")
            continue
        facts = [f"score {_num(a.score)}", f"{_num(a.latency_ms, '.0f')} ms", f"${a.cost_usd or 0:.5f}"]
        if a.cached:
            facts.append("cached")
        parts.append(f"<p><b>Repeat {r + 1}</b> {mark(a)} " + " · ".join(facts) + "</p>")
        if a.error is not None:
            parts.append(f"<p>⚠ {html.escape(a.error)}</p>")
            continue
        parts.append(f'<pre style="white-space:pre-wrap">{html.escape(a.output)}</pre>')
        items = "".join(f"<li><code>{html.escape(str(x['type']))}</code> {_num(x['score'], '.2f')} "
                        f"{MARK_PASS if x['pass'] else MARK_FAIL if x['pass'] is False else MARK_WAIT} "
                        f"{html.escape(str(x['reason']))}</li>" for x in a.asserts)
        parts.append(f"<ul>{items}</ul>")
    return "".join(parts)


# -- progress and the report -------------------------------------------------------------------------------
def progress_html(done: int, total: int, errors: int, spent_usd: float, batch_line: str | None = None) -> str:
    batch = f'<div id="eval_batch_progress">{html.escape(batch_line)}</div>' if batch_line else ""
    return (f'<div id="eval_progress_text">{done}/{total} attempts finished, {errors} errored, '
            f'${spent_usd:.4f} spent</div>{batch}<progress value="{done}" max="{max(total, 1)}" '
            'style="width:100%"></progress>')


def _table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(summary: Summary) -> str:
    """A static, self-contained HTML page (no external assets): the summary, its notes, both plots and
    the matrix."""
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in summary_notes(summary))
    when = time.strftime("%Y-%m-%d %H:%M:%S")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Eval {html.escape(summary.name)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}th{{background:#f3f3f3}}</style></head>
<body><h1>Eval {html.escape(summary.name)}</h1>
<p>Baseline <b>{html.escape(summary.baseline)}</b>, {summary.n_cases} cases × {summary.repeats} repeats,
{len(summary.attempts)} attempts, {summary.errors} errored, ${summary.spent_usd:.4f} spent. Written {when}.</p>
<h2>Summary</h2>{_table_html(summary_frame(summary))}<ul>{notes}</ul>
<div>{interval_svg(summary)} {cost_svg(summary)}</div>
<h2>Matrix</h2><p>Each cell: the case's mean score, then one mark per repeat ({MARK_PASS} passed, {MARK_FAIL} failed,
{MARK_ERROR} errored, {MARK_WAIT} waiting for a human grade, {MARK_TODO} not run).</p>
{_table_html(matrix_frame(summary))}
</body></html>
"""


# -- two runs --------------------------------------------------------------------------------------------
COMPARE_COLUMNS = ["variant", "shared cases", "mean A", "mean B", "Δ B − A [95% CI]", "W/T/L", "p (Holm)", "verdict"]


def compare_runs_frame(a: Summary, b: Summary) -> pd.DataFrame:
    """Run B against run A, variant by variant (the ids both have), with the same paired analysis as
    against the baseline: over the cases both scored, Δ ± t·SE, wins/ties/losses, the exact sign test
    Holm-adjusted across the variants, and a verdict only when the interval excludes 0."""
    from playground.evals import stats

    ids = [v.id for v in a.variants if v.id in {w.id for w in b.variants}]
    pairs = [stats.paired(a.variant(i).case_scores(), b.variant(i).case_scores()) for i in ids]
    rows = []
    for i, pair, (verdict, p) in zip(ids, pairs, stats.verdicts(pairs), strict=True):
        rows.append([i, str(pair.n), _num(a.variant(i).mean), _num(b.variant(i).mean),
                     f"{_num(pair.mean_diff, '+.3f')} [{_num(pair.ci_low, '+.3f')}, {_num(pair.ci_high, '+.3f')}]",
                     f"{pair.wins}/{pair.ties}/{pair.losses}", f"{p:.3g}", verdict])
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)
