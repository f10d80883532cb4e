"""The inspector's views of one run: request, response headers, usage and cost, timing, events, errors.

Pure functions of a :class:`~playground.ui.render.TurnView`; each returns the text one inspector
tab shows. Secrets are redacted here a second time (defence in depth: the provider already
redacts ``RequestRecord.headers``), and ``scrub`` removes the session key from anything shown.
"""

from __future__ import annotations

import json
from typing import Any

from playground import catalog
from playground.secrets import redact_headers, scrub
from playground.ui.messages import escape_markdown
from playground.ui.render import EVENTS_CAP, TurnView

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


def request_view(view: TurnView | None, api_key: str | None = None) -> str:
    """The last attempt as sent: method, URL, redacted headers, JSON body (long strings elided).

    Earlier attempts (retries) are listed one per line above it.
    """
    if view is None or not view.requests:
        return "// no request yet"
    *earlier, record = view.requests
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


def headers_view(view: TurnView | None, api_key: str | None = None) -> str:
    """Raw response headers, ``request-id`` and rate limits first."""
    if view is None or view.headers is None:
        return "// no response yet"
    headers = redact_headers(view.headers.headers)

    def rank(name: str) -> tuple[int, str]:
        low = name.lower()
        return (0 if low in ("request-id", "x-request-id") else 1 if "ratelimit" in low or low == "retry-after"
                else 2, low)

    lines = [f"HTTP {view.headers.status}"] + [f"{k}: {headers[k]}" for k in sorted(headers, key=rank)]
    return scrub("\n".join(lines), api_key)


def usage_view(view: TurnView | None, model: str | None) -> str:
    """Input/output/cache tokens and a list-price cost estimate (Markdown)."""
    if view is None or view.usage is None:
        return "*No usage yet.*"
    u = view.usage
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
    if view.finish is not None:
        rows.append(("Stop reason", f"`{view.finish.raw or view.finish.reason}`"))
    return "| Metric | Value |\n|---|---:|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def _cache_writes(u: Any) -> str:
    if u.cache_write_1h_tokens:
        return f"{u.cache_creation_input_tokens:,} ({u.cache_write_5m_tokens:,} 5m + {u.cache_write_1h_tokens:,} 1h)"
    return f"{u.cache_creation_input_tokens:,}"


def timing(view: TurnView) -> dict[str, float | int | None]:
    """Time to first token, total, output tokens/s (over the streaming span) and event count."""
    end = view.ended_at if view.ended_at is not None else view.last_event_at
    total = None if end is None else end - view.started
    ttft = None if view.first_token_at is None else view.first_token_at - view.started
    tps = None
    if view.usage is not None and view.first_token_at is not None and view.last_event_at is not None:
        span = view.last_event_at - view.first_token_at
        if span > 0:
            tps = view.usage.output_tokens / span
    return {"ttft": ttft, "total": total, "tokens_per_second": tps, "events": view.event_count}


def timing_view(view: TurnView | None) -> str:
    """The :func:`timing` figures as a Markdown table."""
    if view is None:
        return "*No run yet.*"
    t = timing(view)

    def sec(value: Any) -> str:
        return "–" if value is None else f"{value * 1000:,.0f} ms"

    tps = "–" if t["tokens_per_second"] is None else f"{t['tokens_per_second']:,.1f}"
    rows = [("Time to first token", sec(t["ttft"])), ("Total", sec(t["total"])),
            ("Output tokens / s", tps), ("Parts received", f"{t['events']:,}"), ("Status", view.status)]
    if view.last_event_wall is not None:  # lets a browser on the same machine measure render lag
        rows.append(("Last event (server clock, ms)", f"{view.last_event_wall * 1000:.0f}"))
    return "| Metric | Value |\n|---|---:|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def events_view(view: TurnView | None, api_key: str | None = None) -> str:
    """The run as it arrived, one line each (``+ms kind text``): the wire events exactly as decoded
    (``event: NAME`` then the data) between the request, response and retry markers; capped at
    ``EVENTS_CAP`` lines."""
    if view is None or not view.events:
        return ""
    lines = []
    for t, kind, text in view.events:
        shown = text if kind.startswith("event: ") else json.dumps(text, ensure_ascii=False)
        if len(shown) > EVENT_TEXT_CAP:
            shown = f"{shown[:EVENT_TEXT_CAP]}… [{len(shown):,} chars]"
        lines.append(f"+{t * 1000:8.1f} ms  {kind:<30} {shown}")
    if len(view.events) >= EVENTS_CAP:
        lines.append(f"… log capped at {EVENTS_CAP} lines ({view.event_count:,} parts arrived in all)")
    return scrub("\n".join(lines), api_key)


def errors_view(view: TurnView | None) -> str:
    """The error and the retries of this run (Markdown)."""
    if view is None:
        return "*No errors.*"
    lines = [f"- retry {r.attempt}/{r.max_retries} after {r.delay:.1f} s: {escape_markdown(r.reason)}"
             for r in view.retries]
    if view.error_text:
        lines.append(f"- {view.error_text}")
    body = getattr(view.error, "body", None)
    if isinstance(body, dict | list):  # the API's error body as received
        lines.append("\n```json\n" + json.dumps(body, indent=2, ensure_ascii=False).replace("```", "` ` `") + "\n```")
    return "\n".join(lines) if lines else "*No errors.*"
