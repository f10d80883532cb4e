"""Anthropic streams over real HTTP: every recorded stream (whole, re-chunked at random and one byte
at a time), synthetic streams for each block type and stop reason, and every way a stream breaks."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest
from replay import ReplayServer, fixture_names, fixture_stream

from playground.errors import StreamError, StreamTimeoutError
from playground.providers import Anthropic
from playground.responses import (
    ContentBlock,
    FinishReason,
    HeadersResponse,
    Reasoning,
    RequestRecord,
    ToolCalls,
    Usage,
)
from playground.turn import TurnAccumulator

KEY = "sk-ant-api03-test-key-for-replay-WXYZ"
MESSAGES = [{"role": "user", "content": "Hello"}]
META = (RequestRecord, HeadersResponse)


async def run(server: ReplayServer, **kwargs: Any) -> list[Any]:
    kwargs.setdefault("stream", True)
    parts = []
    async for part in Anthropic.create_async_generator(
        kwargs.pop("model", "claude-sonnet-4-6"), kwargs.pop("messages", MESSAGES), api_key=KEY,
        api_base=server.api_base, **kwargs,
    ):
        parts.append(part)
    return parts


async def run_until_error(server: ReplayServer, **kwargs: Any) -> tuple[list[Any], BaseException]:
    parts: list[Any] = []
    with pytest.raises(StreamError) as info:
        async for part in Anthropic.create_async_generator("claude-sonnet-4-6", MESSAGES, api_key=KEY,
                                                           api_base=server.api_base, stream=True, **kwargs):
            parts.append(part)
    return parts, info.value


def events(*items: dict[str, Any], eol: str = "\n", compact: bool = True) -> bytes:
    """Events as the API frames them: ``event:`` + one-line compact ``data:`` + blank line."""
    separators = (",", ":") if compact else (", ", ": ")
    return "".join(f"event: {e['type']}{eol}data: {json.dumps(e, separators=separators)}{eol}{eol}"
                   for e in items).encode()


def start(input_tokens: int = 10, **usage: int) -> dict[str, Any]:
    return {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
            "content": [], "model": "claude-sonnet-4-6", "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1, **usage}}}


def block(index: int, content_block: dict[str, Any], *deltas: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "content_block_start", "index": index, "content_block": content_block},
            *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
            {"type": "content_block_stop", "index": index}]


def end(stop_reason: str = "end_turn", output_tokens: int = 5, **delta: Any) -> list[dict[str, Any]]:
    return [{"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None, **delta},
             "usage": {"output_tokens": output_tokens}}, {"type": "message_stop"}]


def text_delta(text: str) -> dict[str, str]:
    return {"type": "text_delta", "text": text}


def accumulate(parts: list[Any]) -> TurnAccumulator:
    acc = TurnAccumulator()
    for part in parts:
        acc.add(part)
    return acc


# -- the recorded streams ---------------------------------------------------------------------------
EXPECTED: dict[str, dict[str, Any]] = {
    "basic_response.txt": {"text": "Hello there!", "finish": ("stop", "end_turn"), "usage": (11, 6)},
    "tool_use_response.txt": {"text": "I'll check the current weather in Paris for you.",
                              "finish": ("tool_calls", "tool_use"), "usage": (377, 65),
                              "tools": [("get_weather", {"location": "Paris"})]},
    "incomplete_partial_json_response.txt": {"finish": ("length", "max_tokens"), "usage": (450, 124),
                                             "tools": [("make_file", {})]},
    "refusal_response.txt": {"text": "", "finish": ("content_filter", "refusal"), "usage": (20, 0)},
    "compaction_response.txt": {"text": "Hello there!", "finish": ("stop", "end_turn"), "usage": (30, 8),
                                "blocks": ["compaction"]},
    "fallback_response.txt": {"text": "Hello there!", "finish": ("stop", "end_turn"), "usage": (25, 8),
                              "blocks": ["fallback"]},
    "fallback_credit_response.txt": {"text": "Hello there!", "finish": ("stop", "end_turn"), "usage": (25, 8)},
}


def check_recorded(name: str, parts: list[Any]) -> None:
    want = EXPECTED[name]
    assert isinstance(parts[0], RequestRecord) and isinstance(parts[1], HeadersResponse)
    assert isinstance(parts[-2], FinishReason) and isinstance(parts[-1], Usage)
    acc = accumulate(parts)
    if "text" in want:
        assert acc.text == want["text"]
    assert (acc.finish.reason, acc.finish.raw) == want["finish"]
    assert (acc.usage.input_tokens, acc.usage.output_tokens) == want["usage"]
    assert [(c.name, c.arguments) for c in acc.tool_calls] == want.get("tools", [])
    assert [p.type for p in parts if isinstance(p, ContentBlock)] == want.get("blocks", [])


@pytest.mark.parametrize("name", fixture_names())
async def test_recorded_stream_whole(replay_server: ReplayServer, name: str) -> None:
    replay_server.sse(fixture_stream(name))
    check_recorded(name, await run(replay_server))


@pytest.mark.parametrize("name", fixture_names())
async def test_recorded_stream_rechunked(replay_server: ReplayServer, name: str) -> None:
    body = fixture_stream(name)
    rng = random.Random(name)
    cuts = sorted(rng.sample(range(1, len(body)), 40))
    replay_server.sse(body, [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)])
    replay_server.sse(body, [body[i : i + 1] for i in range(len(body))])
    check_recorded(name, await run(replay_server))
    check_recorded(name, await run(replay_server))


async def test_recorded_tool_json_cut_by_max_tokens_keeps_raw_text(replay_server: ReplayServer) -> None:
    replay_server.sse(fixture_stream("incomplete_partial_json_response.txt"))
    call = accumulate(await run(replay_server)).tool_calls[0]
    assert call.arguments == {} and call.raw_arguments.startswith('{"filename": "taxes.txt"')


async def test_recorded_refusal_details_and_compaction_payload(replay_server: ReplayServer) -> None:
    replay_server.sse(fixture_stream("refusal_response.txt"))
    replay_server.sse(fixture_stream("compaction_response.txt"))
    replay_server.sse(fixture_stream("fallback_credit_response.txt"))
    refusal = accumulate(await run(replay_server)).finish
    assert refusal.details == {"type": "refusal", "category": "cyber",
                               "explanation": "This request was refused due to policy."}
    compaction = next(p for p in await run(replay_server) if isinstance(p, ContentBlock))
    assert compaction.data == {"type": "compaction", "content": "Earlier conversation summarized.",
                               "encrypted_content": "EpwBCioIDxgCEAEYASJALd_opaque_compaction_payload"}
    usage = accumulate(await run(replay_server)).usage
    assert usage.extra["fallback_credit"] == {"status": {"type": "redeemed"}}


async def test_recorded_stream_without_final_blank_line_is_truncated(replay_server: ReplayServer) -> None:
    # As shipped, the last event is unterminated: the provider must not pretend it arrived.
    replay_server.sse(fixture_stream("basic_response.txt").rstrip(b"\n"))
    parts, error = await run_until_error(replay_server)
    assert "".join(p for p in parts if isinstance(p, str)) == "Hello there!"
    assert error.error_type == "incomplete_stream" and "partial" in str(error)


# -- synthetic streams, one per rule -----------------------------------------------------------------
async def test_thinking_signature_and_redacted_thinking(replay_server: ReplayServer) -> None:
    replay_server.sse(events(
        start(),
        *block(0, {"type": "thinking", "thinking": "", "signature": ""},
               {"type": "thinking_delta", "thinking": "Let me "}, {"type": "thinking_delta", "thinking": "think."},
               {"type": "signature_delta", "signature": "sig-abc"}),
        *block(1, {"type": "redacted_thinking", "data": "opaque=="}),
        *block(2, {"type": "text", "text": ""}, text_delta("Answer.")),
        *end(),
    ))
    parts = await run(replay_server)
    reasoning = [p for p in parts if isinstance(p, Reasoning)]
    assert reasoning == [Reasoning("Let me "), Reasoning("think."), Reasoning(signature="sig-abc"),
                         Reasoning(redacted_data="opaque==")]
    assert accumulate(parts).to_message() == {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Let me think.", "signature": "sig-abc"},
        {"type": "redacted_thinking", "data": "opaque=="},
        {"type": "text", "text": "Answer."},
    ]}


async def test_tool_use_with_empty_input_and_partial_json(replay_server: ReplayServer) -> None:
    replay_server.sse(events(
        start(),
        *block(0, {"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}}),
        *block(1, {"type": "tool_use", "id": "toolu_2", "name": "add", "input": {}},
               {"type": "input_json_delta", "partial_json": ""}, {"type": "input_json_delta", "partial_json": '{"a": 1, "'},
               {"type": "input_json_delta", "partial_json": 'b": [2, 3]}'}),
        *end("tool_use"),
    ))
    parts = await run(replay_server)
    calls = [c for p in parts if isinstance(p, ToolCalls) for c in p.calls]
    assert [(c.id, c.name, c.arguments) for c in calls] == [("toolu_1", "now", {}), ("toolu_2", "add", {"a": 1, "b": [2, 3]})]
    assert accumulate(parts).finish.reason == "tool_calls"


@pytest.mark.parametrize("compact", [True, False])
async def test_citations_and_server_tool_blocks(replay_server: ReplayServer, compact: bool) -> None:
    citation = {"type": "char_location", "cited_text": "sky", "document_index": 0, "document_title": None,
                "start_char_index": 0, "end_char_index": 3}
    result = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
              "content": [{"type": "web_search_result", "url": "https://e.x", "title": "E", "encrypted_content": "x",
                           "page_age": None}]}
    replay_server.sse(events(
        start(),
        *block(0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
               {"type": "input_json_delta", "partial_json": '{"query": "sky"}'}),
        *block(1, result),
        *block(2, {"type": "text", "text": ""}, text_delta("The sky is blue."),
               {"type": "citations_delta", "citation": citation}),
        *end(server_tool_use={"web_search_requests": 1}),
        compact=compact,
    ))
    parts = await run(replay_server)
    blocks = [p for p in parts if isinstance(p, ContentBlock)]
    assert blocks[0] == ContentBlock("server_tool_use", {"type": "server_tool_use", "id": "srvtoolu_1",
                                                         "name": "web_search", "input": {"query": "sky"}})
    assert blocks[1] == ContentBlock("web_search_tool_result", result)
    assert blocks[2].data == {"type": "text", "text": "The sky is blue.", "citations": [citation]}
    message = accumulate(parts).to_message()
    assert [b["type"] for b in message["content"]] == ["server_tool_use", "web_search_tool_result", "text"]
    assert message["content"][2]["citations"] == [citation]


@pytest.mark.parametrize("raw, normalized", [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
    ("refusal", "content_filter"), ("pause_turn", "pause"), ("model_context_window_exceeded", "length"),
    ("some_future_reason", "some_future_reason"),
])
async def test_every_stop_reason(replay_server: ReplayServer, raw: str, normalized: str) -> None:
    stop_sequence = "END" if raw == "stop_sequence" else None
    replay_server.sse(events(start(), *block(0, {"type": "text", "text": ""}, text_delta("x")),
                             {"type": "message_delta", "delta": {"stop_reason": raw, "stop_sequence": stop_sequence},
                              "usage": {"output_tokens": 3}}, {"type": "message_stop"}))
    finish = accumulate(await run(replay_server)).finish
    assert (finish.reason, finish.raw, finish.stop_sequence) == (normalized, raw, stop_sequence)


async def test_usage_merges_start_and_cumulative_delta(replay_server: ReplayServer) -> None:
    replay_server.sse(events(
        start(100, cache_creation_input_tokens=20, cache_read_input_tokens=30),
        *block(0, {"type": "text", "text": ""}, text_delta("x")),
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 42, "input_tokens": 120, "cache_read_input_tokens": None}},
        {"type": "message_stop"},
    ))
    usage = accumulate(await run(replay_server)).usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens,
            usage.cache_read_input_tokens) == (120, 42, 20, 30)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (170, 42, 212)


async def test_unknown_events_blocks_and_deltas_never_crash(replay_server: ReplayServer) -> None:
    replay_server.sse(events(
        start(),
        {"type": "brand_new_event", "stuff": 1},
        *block(0, {"type": "hologram", "frames": ""}, {"type": "frame_delta", "frames": "ab"},
               {"type": "frame_delta", "frames": "cd"}),
        *block(1, {"type": "text", "text": ""}, text_delta("ok"), {"type": "sparkle_delta", "level": 3}),
        *end(),
    ) + b": a comment line\n\n")
    parts = await run(replay_server)
    assert "".join(p for p in parts if isinstance(p, str)) == "ok"
    assert [p.data for p in parts if isinstance(p, ContentBlock)] == [{"type": "hologram", "frames": "abcd"}]


async def test_text_deltas_in_any_json_layout(replay_server: ReplayServer) -> None:
    # The compact form takes a shortcut; spacing, escapes, extra keys and key order must not matter.
    odd = [
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\\"}}"}}',
        '{ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "b\\u00e9" } }',
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"c"},"extra":{"x":"}}"}}',
        '{"delta":{"text":"d","type":"text_delta"},"type":"content_block_delta","index":0}',
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"e\\n"}}',
    ]
    body = events(start(), {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    body += "".join(f"event: content_block_delta\ndata: {d}\n\n" for d in odd).encode()
    body += events({"type": "content_block_stop", "index": 0}, *end())
    parts = await run(replay_server.sse(body))
    assert [p for p in parts if isinstance(p, str)] == ['a"}}', "bé", "c", "d", "e\n"]


async def test_crlf_framing_and_data_only_events(replay_server: ReplayServer) -> None:
    body = events(start(), *block(0, {"type": "text", "text": ""}, text_delta("a")), eol="\r\n")
    body += ("data: " + json.dumps({"type": "content_block_delta", "index": 0, "delta": text_delta("b")}) + "\n\n").encode()
    body += events({"type": "content_block_stop", "index": 0}, *end(), eol="\r")
    replay_server.sse(body)
    assert accumulate(await run(replay_server)).text == "ab"


# -- broken streams -------------------------------------------------------------------------------------
async def test_mid_stream_error_event_keeps_partial_text(replay_server: ReplayServer) -> None:
    replay_server.sse(events(start(), {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                             {"type": "content_block_delta", "index": 0, "delta": text_delta("Half an ans")},
                             {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    parts, error = await run_until_error(replay_server)
    assert "".join(p for p in parts if isinstance(p, str)) == "Half an ans"
    assert error.error_type == "overloaded_error" and error.request_id == "req_stream"
    assert "Overloaded" in str(error) and "partial" in str(error)
    assert len(replay_server.requests) == 1  # never retried after content


async def test_key_echoed_in_an_error_event_is_redacted(replay_server: ReplayServer) -> None:
    replay_server.sse(events(start(), {"type": "error", "error": {"type": "api_error", "message": f"bad key {KEY}"}}))
    _, error = await run_until_error(replay_server)
    assert KEY not in str(error) and "…WXYZ" in str(error)


async def test_cut_connection(replay_server: ReplayServer) -> None:
    body = fixture_stream("basic_response.txt")
    replay_server.sse(body, [body[: body.index(b" there")]], cut=True)
    parts, error = await run_until_error(replay_server)
    assert "".join(p for p in parts if isinstance(p, str)) == "Hello"
    assert error.error_type == "connection_error" and "partial" in str(error)
    assert len(replay_server.requests) == 1


async def test_truncated_stream_without_message_stop(replay_server: ReplayServer) -> None:
    replay_server.sse(events(start(), *block(0, {"type": "text", "text": ""}, text_delta("cut here"))))
    parts, error = await run_until_error(replay_server)
    assert [p for p in parts if isinstance(p, str)] == ["cut here"]
    assert error.error_type == "incomplete_stream"


async def test_malformed_event_data(replay_server: ReplayServer) -> None:
    replay_server.sse(events(start()) + b"event: content_block_delta\ndata: {not json\n\n")
    _, error = await run_until_error(replay_server)
    assert error.error_type == "malformed_event" and "content_block_delta" in str(error)
    assert error.__cause__ is None and error.__suppress_context__  # no raw JSON exception chained


async def test_stall_between_chunks_times_out(replay_server: ReplayServer) -> None:
    replay_server.sse(b"", [events(start(), *block(0, {"type": "text", "text": ""}, text_delta("slow")))], stall=5)
    parts, error = await run_until_error(replay_server, timeout=0.3)
    assert isinstance(error, StreamTimeoutError) and [p for p in parts if isinstance(p, str)] == ["slow"]


async def test_slow_but_steady_stream_is_not_cut_by_timeout(replay_server: ReplayServer) -> None:
    # timeout bounds each wait, not the total: 8 chunks 0.1 s apart take longer than the 0.5 s timeout.
    body = events(start(), *block(0, {"type": "text", "text": ""}, *(text_delta(str(i)) for i in range(40))), *end())
    size = len(body) // 8 + 1
    replay_server.sse(body, [body[i : i + size] for i in range(0, len(body), size)], gap=0.1)
    started = time.monotonic()
    assert accumulate(await run(replay_server, timeout=0.5)).text == "".join(str(i) for i in range(40))
    assert time.monotonic() - started > 0.5
