"""Sweep results as rows (one per run), a summary per grid point (for plots), and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from .aggregate import Aggregate
from .grid import format_value
from .runner import JobResult

METRICS: dict[str, str] = {
    "output_tokens": "Output tokens (mean)",
    "latency_s": "Latency, s (mean)",
    "ttft_s": "Time to first token, s (mean)",
    "cost_usd": "Cost, USD (sum)",
    "distinct_outputs": "Distinct outputs",
    "similarity": "Mean pairwise similarity",
}
PREVIEW_CHARS = 120


def _axis_value(param: str, value: Any) -> Any:
    # numbers stay numbers (plots need a numeric axis); models and stop sets become labels
    return value if param in ("temperature", "top_p", "top_k", "max_tokens") else format_value(param, value)


def result_row(result: JobResult, params: Sequence[str], *, preview: bool = True) -> dict[str, Any]:
    """One table row for one finished (or failed, or cancelled) run; ``preview`` shortens the output
    (for the on-screen table; the CSV keeps it whole)."""
    swept = result.meta.get("values", {})
    row: dict[str, Any] = {"cell": result.meta.get("cell", result.key), "repeat": result.meta.get("repeat", 0)}
    for p in params:
        row[p] = _axis_value(p, swept.get(p))
    row.update({
        "model": result.settings.model_id,
        "status": result.status(),
        "output_tokens": result.output_tokens if result.usage else None,
        "output_chars": len(result.text),
        "latency_s": round(result.duration_s, 3) if result.duration_s is not None else None,
        "ttft_s": round(result.ttft_s, 3) if result.ttft_s is not None else None,
        "tokens_per_s": round(result.tokens_per_s, 1) if result.tokens_per_s else None,
        "cost_usd": round(result.cost_usd, 6) if result.cost_usd is not None else None,
        "stop_reason": result.stop_reason or "",
        "retries": len(result.retries),
        "error": result.error or "",
        "output": (result.text[:PREVIEW_CHARS] + ("…" if len(result.text) > PREVIEW_CHARS else "")) if preview
        else result.text,
        "run_id": result.run_id,
    })
    return row


def point_of(meta: dict[str, Any], params: Sequence[str]) -> tuple[Any, ...]:
    """The grid point a run (by its job's ``meta``) belongs to: its swept values, as the table shows them."""
    swept = meta.get("values", {})
    return tuple(_axis_value(p, swept.get(p)) for p in params)


def point_aggregate(params: Sequence[str]) -> Aggregate:
    """An empty per-grid-point :class:`~playground.tuning.aggregate.Aggregate` for a sweep over ``params``."""
    params = list(params)
    return Aggregate(key_of=lambda r: point_of(r.meta, params),
                     labels=lambda key: dict(zip(params, key, strict=True)))  # type: ignore[arg-type]


def summarize(results: Iterable[JobResult], params: Sequence[str]) -> list[dict[str, Any]]:
    """One row per grid point (over its repeats): means, total cost, distinct outputs, similarity
    (over a sample of pairs beyond ``variation.MAX_PAIRS``; ``similarity_over`` says which).

    Failed and cancelled runs count in ``errors`` but not in the output metrics. For a summary kept
    up to date while runs arrive, use :func:`point_aggregate` instead.
    """
    agg = point_aggregate(params)
    for r in results:
        agg.add(r)
    agg.finish()
    return agg.rows()


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as CSV text (header from the first row's keys)."""
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
