"""The inspector's views of one run: request, response headers, usage and cost, timing, events, errors.

Pure functions of a :class:`~playground.run.RunRecord`; each returns the text one inspector
tab shows. Secrets are redacted here a second time (defence in depth: the provider already
redacts ``RequestRecord.headers``), and ``scrub`` removes the session key from anything shown.
"""

from __future__ import annotations

import json
from typing import Any

from playground import catalog
from playground.run import EVENTS_CAP, RunRecord
from playground.secrets import redact_headers, scrub
from playground.ui.messages import escape_markdown

EVENT_TEXT_CAP = 300  # characters of one event's data shown in the Events log
LONG_STRING = 2_000  # base64 media and the like are elided in the Request view (the byte count stays)


def _elide(value: Any) -> Any:
    if isinstance(value, str) and len(value) > LONG_STRING:
        return f"{value[:64]}… [{len(value):,} characters elided]"
    if isinstance(value, dict):
        return {k: _elide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_elide(v) for v in value]
    return value


def request_view(run: RunRecord | None, api_key: str | None = None) -> str:
    """The last attempt as sent: method, URL, redacted headers, JSON body (long strings elided).

    Earlier attempts (retries) are listed one per line above it.
    """
    if run is None or not run.requests:
        return "// no request yet"
    *earlier, record = run.requests
    lines = [f"// attempt {r.attempt} (retried): {r.method} {r.url}" for r in earlier]
    headers = redact_headers(record.headers)
    head = "\n".join(f"{name}: {value}" for name, value in headers.items())
    if record.body_text and len(record.body_text) <= LONG_STRING * 4:
        try:
            body = json.dumps(json.loads(record.body_text), indent=2, ensure_ascii=False)
        except ValueError:
            body = record.body_text
    else:
        body = json.dumps(_elide(record.body), indent=2, ensure_ascii=False, default=str)
    lines.append(f"// attempt {record.attempt}\n{record.method} {record.url}\n{head}\n\n{body}")
    return scrub("\n".join(lines), api_key)


def headers_view(run: RunRecord | None, api_key: str | None = None) -> str:
    """Raw response headers, ``request-id`` and rate limits first."""
    if run is None or run.headers is None:
        return "// no response yet"
    headers = redact_headers(run.headers.headers)

    def rank(name: str) -> tuple[int, str]:
        low = name.lower()
        return (0 if low in ("request-id", "x-request-id") else 1 if "ratelimit" in low or low == "retry-after"
                else 2, low)

    lines = [f"HTTP {run.headers.status}"] + [f"{k}: {headers[k]}" for k in sorted(headers, key=rank)]
    return scrub("\n".join(lines), api_key)


def usage_view(run: RunRecord | None, model: str | None) -> str:
    """Input/output/cache tokens and a list-price cost estimate (Markdown)."""
    if run is None or run.usage is None:
        return "*No usage yet.*"
    u = run.usage
    rows = [
        ("Input tokens (uncached)", f"{u.input_tokens:,}"),
        ("Output tokens", f"{u.output_tokens:,}"),
        ("Cache write tokens", _cache_writes(u)),
        ("Cache read tokens", f"{u.cache_read_input_tokens:,}"),
        ("Total input tokens", f"{u.prompt_tokens:,}"),
    ]
    cost = catalog.usage_cost_usd(model, u)
    rows.append(("Estimated cost", "unknown model" if cost is None else f"${cost:.6f}"))
    if cost is not None and (u.cache_creation_input_tokens or u.cache_read_input_tokens):
        uncached = catalog.cost_usd(model, u.prompt_tokens, u.output_tokens)
        rows.append(("Without caching", f"${uncached:.6f}"))
    if run.finish is not None:
        rows.append(("Stop reason", f"`{run.finish.raw or run.finish.reason}`"))
    return "| Metric | Value |\n|---|---:|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def _cache_writes(u: Any) -> str:
    if u.cache_write_1h_tokens:
        return f"{u.cache_creation_input_tokens:,} ({u.cache_write_5m_tokens:,} 5m + {u.cache_write_1h_tokens:,} 1h)"
    return f"{u.cache_creation_input_tokens:,}"


def timing_view(run: RunRecord | None) -> str:
    """The run's timing as a Markdown table: every time in ms from the request's start."""
    if run is None:
        return "*No run yet.*"

    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:,.0f} ms"

    tps = run.output_tokens_per_second
    rate = f"{tps:,.1f}" if tps is not None else "– (not streamed)" if not run.streamed else "–"
    rows = [("Time to first token", ms(run.ttft_ms)), ("Last part", ms(run.last_part_ms)),
            ("Total", ms(run.total_ms)), ("Output tokens / s", rate), ("Parts received", f"{run.event_count:,}"),
            ("Status", run.status)]
    return "| Metric | Value |\n|---|---:|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def events_view(run: RunRecord | None, api_key: str | None = None) -> str:
    """The run as it arrived, one line each (``+ms kind text``): the wire events exactly as decoded
    (``event: NAME`` then the data) between the request, response and retry markers; capped at
    ``EVENTS_CAP`` lines."""
    if run is None or not run.events:
        return ""
    lines = []
    for t, kind, text in run.events:
        shown = text if kind.startswith("event: ") else json.dumps(text, ensure_ascii=False)
        if len(shown) > EVENT_TEXT_CAP:
            shown = f"{shown[:EVENT_TEXT_CAP]}… [{len(shown):,} chars]"
        lines.append(f"+{t:8.1f} ms  {kind:<30} {shown}")
    if len(run.events) >= EVENTS_CAP:
        lines.append(f"… log capped at {EVENTS_CAP} lines ({run.event_count:,} parts arrived in all)")
    return scrub("\n".join(lines), api_key)


def errors_view(run: RunRecord | None) -> str:
    """The error and the retries of this run (Markdown)."""
    if run is None:
        return "*No errors.*"
    lines = [f"- retry {r.attempt}/{r.max_retries} after {r.delay:.1f} s: {escape_markdown(r.reason)}"
             for r in run.retries]
    if run.error_text:
        lines.append(f"- {run.error_text}")
    body = getattr(run.error, "body", None)
    if isinstance(body, dict | list):  # the API's error body as received
        lines.append("\n```json\n" + json.dumps(body, indent=2, ensure_ascii=False).replace("```", "` ` `") + "\n```")
    return "\n".join(lines) if lines else "*No errors.*"
