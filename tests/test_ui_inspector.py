"""Inspector views: redaction, ordering, usage and cost, timing (pure)."""

from __future__ import annotations

import json

from playground import catalog
from playground.responses import FinishReason, HeadersResponse, RawEvent, RequestRecord, RetryNotice, Usage
from playground.run import EVENTS_CAP, RunRecord
from playground.ui import inspector
from playground.ui.messages import describe_error

KEY = "sk-ant-api03-SECRETSECRETSECRET-wxyz"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _record(body: dict) -> RequestRecord:
    text = json.dumps(body)
    # a provider that forgot to redact: the inspector must still never show the key
    return RequestRecord("POST", "http://127.0.0.1:9/v1/messages", {"x-api-key": KEY, "content-type":
                         "application/json"}, body, text, 0)


def test_request_view_redacts_the_key_and_shows_the_body() -> None:
    view = RunRecord()
    view.add(_record({"model": "m", "messages": [{"role": "user", "content": f"my key is {KEY}"}]}))
    text = inspector.request_view(view, KEY)
    assert KEY not in text
    assert "x-api-key: …wxyz" in text
    assert "POST http://127.0.0.1:9/v1/messages" in text
    assert '"model": "m"' in text


def test_request_view_elides_base64_media() -> None:
    view = RunRecord()
    data = "A" * 50_000
    view.add(_record({"messages": [{"role": "user", "content": [{"type": "image", "source": {"data": data}}]}]}))
    text = inspector.request_view(view)
    assert data not in text
    assert "[50,000 characters elided]" in text


def test_headers_view_puts_request_id_and_rate_limits_first() -> None:
    view = RunRecord()
    view.add(HeadersResponse(200, {"content-type": "text/event-stream", "anthropic-ratelimit-requests-remaining":
                                   "49", "request-id": "req_abc"}))
    lines = inspector.headers_view(view).splitlines()
    assert lines[:3] == ["HTTP 200", "request-id: req_abc", "anthropic-ratelimit-requests-remaining: 49"]


def test_usage_view_has_tokens_cost_and_stop_reason() -> None:
    view = RunRecord()
    view.add(Usage(1000, 2000, 100, 50))
    view.add(FinishReason("length", "max_tokens"))
    text = inspector.usage_view(view, "claude-sonnet-4-6")
    cost = catalog.cost_usd("claude-sonnet-4-6", 1000, 2000, 100, 50)
    assert "| Input tokens (uncached) | 1,000 |" in text and "| Output tokens | 2,000 |" in text
    assert f"${cost:.6f}" in text
    assert "`max_tokens`" in text
    assert "unknown model" in inspector.usage_view(view, "my-custom-model")


def _timing_rows(text: str) -> dict[str, str]:
    rows = [line.strip("|").split("|") for line in text.splitlines()[2:]]
    return {k.strip(): v.strip() for k, v in rows}


def test_timing_view_of_a_streamed_run_in_ms_from_the_start() -> None:
    clock = Clock()
    view = RunRecord(clock)
    view.add(RequestRecord("POST", "u", {}, {"stream": True}))
    view.add(HeadersResponse(200, {"content-type": "text/event-stream"}))
    clock.now = 0.25
    view.add("first")
    clock.now = 1.25
    view.add(Usage(5, 100))
    clock.now = 1.5
    view.mark_done()
    assert _timing_rows(inspector.timing_view(view)) == {
        "Time to first token": "250 ms", "Last part": "1,250 ms", "Total": "1,500 ms",
        "Output tokens / s": "100.0",  # 100 tokens over the 1 s from the first output to the last part
        "Parts received": "4", "Status": "done"}


def test_timing_view_of_a_non_streamed_run_has_no_rate() -> None:
    clock = Clock()
    clock.now = 5000.0  # a clock far from zero: no absolute reading may leak into the view
    view = RunRecord(clock)
    view.add(RequestRecord("POST", "u", {}, {"stream": False}))
    clock.now = 5000.5
    view.add(HeadersResponse(200, {"content-type": "application/json"}))
    view.add("the whole answer")
    view.add(Usage(5, 100))
    clock.now = 5000.75
    view.mark_done()
    rows = _timing_rows(inspector.timing_view(view))
    assert rows["Output tokens / s"] == "– (not streamed)"
    assert rows["Time to first token"] == "500 ms" and rows["Total"] == "750 ms"
    assert "5,000" not in inspector.timing_view(view)


def test_events_and_errors_views() -> None:
    view = RunRecord()
    view.add(RetryNotice(1, 2, 0.5, "429 rate_limit_error"))
    view.add(f"text with {KEY}")
    events = inspector.events_view(view, KEY)
    assert "retry" in events and KEY not in events
    assert "retry 1/2 after 0.5 s" in inspector.errors_view(view)
    assert inspector.errors_view(None) == "*No errors.*"


def test_events_view_shows_wire_events_and_not_their_restated_parts() -> None:
    view = RunRecord()
    view.add(RawEvent("content_block_delta", '{"delta":{"type":"text_delta","text":"Hi"}}'))
    view.add("Hi")
    view.add(RawEvent("message_stop", f'{{"note":"{KEY}"}}'))
    view.add(Usage(3, 1))
    events = inspector.events_view(view, KEY)
    lines = events.splitlines()
    assert len(lines) == 2, events  # the text and usage parts restate the events: not listed twice
    assert "event: content_block_delta" in lines[0] and '{"delta":{"type":"text_delta","text":"Hi"}}' in lines[0]
    assert KEY not in events and KEY[-4:] in events
    assert view.text == "Hi" and view.usage == Usage(3, 1) and view.event_count == 2


def test_events_view_caps_long_data_and_lines() -> None:
    view = RunRecord()
    view.add(RawEvent("ping", "x" * 5000))
    assert "[5,000 chars]" in inspector.events_view(view)
    for _ in range(EVENTS_CAP + 10):
        view.add(RawEvent("content_block_delta", "{}"))
        view.add("a")
    events = inspector.events_view(view)
    assert len(events.splitlines()) == EVENTS_CAP + 1
    assert f"{EVENTS_CAP + 10:,} parts arrived in all" in events


def test_empty_views() -> None:
    assert inspector.request_view(None) == "// no request yet"
    assert inspector.headers_view(None) == "// no response yet"
    assert inspector.usage_view(None, None) == "*No usage yet.*"


def test_request_view_shows_the_last_attempt_and_lists_retries() -> None:
    view = RunRecord()
    view.add(_record({"n": 1}))
    view.add(RetryNotice(1, 2, 1.0, "429"))
    view.add(RequestRecord("POST", "http://127.0.0.1:9/v1/messages", {}, {"n": 2}, '{"n": 2}', 1))
    text = inspector.request_view(view)
    assert text.startswith("// attempt 0 (retried): POST http://127.0.0.1:9/v1/messages\n// attempt 1\n")
    assert text.endswith('{\n  "n": 2\n}')


def test_errors_view_shows_the_api_error_body() -> None:
    from playground.errors import BadRequestError

    view = RunRecord()
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too big"}}
    error = BadRequestError(400, "invalid_request_error", "max_tokens: too big", "req_7", body)
    view.mark_error(error, describe_error(error))
    text = inspector.errors_view(view)
    assert "**400 invalid\\_request\\_error**" in text and "`req_7`" in text
    assert '"message": "max_tokens: too big"' in text


def test_usage_view_splits_cache_writes_by_ttl_and_shows_the_saving() -> None:
    view = RunRecord()
    usage = Usage(10, 20, 300, 500, extra={"cache_creation": {"ephemeral_5m_input_tokens": 100,
                                                              "ephemeral_1h_input_tokens": 200}})
    view.add(usage)
    text = inspector.usage_view(view, "claude-sonnet-4-6")
    assert "| Cache write tokens | 300 (100 5m + 200 1h) |" in text
    assert "| Cache read tokens | 500 |" in text and "| Total input tokens | 810 |" in text
    cost = catalog.cost_usd("claude-sonnet-4-6", 10, 20, 300, 500, cache_write_1h_tokens=200)
    uncached = catalog.cost_usd("claude-sonnet-4-6", 810, 20)
    assert f"| Estimated cost | ${cost:.6f} |" in text and f"| Without caching | ${uncached:.6f} |" in text
    assert "Without caching" not in inspector.usage_view(_view_with(Usage(10, 20)), "claude-sonnet-4-6")


def _view_with(part: object) -> RunRecord:
    view = RunRecord()
    view.add(part)
    return view
