"""Sweep results as rows (one per run), a summary per grid point (for plots), and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from statistics import mean
from typing import Any

from .grid import format_value
from .runner import JobResult
from .variation import distinct_outputs, mean_pairwise_similarity

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


def _mean(values: Iterable[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(mean(got), 4) if got else None


def summarize(results: Iterable[JobResult], params: Sequence[str]) -> list[dict[str, Any]]:
    """One row per grid point (over its repeats): means, total cost, distinct outputs, similarity.

    Failed and cancelled runs count in ``errors`` but not in the output metrics.
    """
    groups: dict[tuple[Any, ...], list[JobResult]] = {}
    for r in results:
        swept = r.meta.get("values", {})
        key = tuple(_axis_value(p, swept.get(p)) for p in params)
        groups.setdefault(key, []).append(r)
    rows = []
    for key, runs in groups.items():
        ok = [r for r in runs if r.done and not r.error and not r.cancelled]
        outputs = [r.text for r in ok]
        costs = [r.cost_usd for r in ok if r.cost_usd is not None]
        sim = mean_pairwise_similarity(outputs)
        row: dict[str, Any] = dict(zip(params, key, strict=True))
        row.update({
            "runs": len(runs),
            "errors": len(runs) - len(ok),
            "output_tokens": _mean(r.output_tokens for r in ok if r.usage),
            "latency_s": _mean(r.duration_s for r in ok),
            "ttft_s": _mean(r.ttft_s for r in ok),
            "cost_usd": round(sum(costs), 6) if costs else (0.0 if ok else None),
            "distinct_outputs": distinct_outputs(outputs) if ok else None,
            "similarity": round(sim, 4) if sim is not None else None,
        })
        rows.append(row)
    return rows


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as CSV text (header from the first row's keys)."""
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
