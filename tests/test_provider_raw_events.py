"""``raw_events=N``: the first N wire events come through as RawEvent parts, exactly as the server
sent them, each ahead of the parts it produces (what the playground's Events tab shows)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from replay import ReplayServer, fixture_stream

from playground.errors import ParameterError, StreamError
from playground.providers import Anthropic, OpenaiAPI
from playground.responses import FinishReason, RawEvent, RequestRecord
from playground.transport.sse import SSEDecoder

KEY = "sk-ant-api03-raw-events-test-key-QRST"
MESSAGES = [{"role": "user", "content": "Hello"}]


async def collect(server: ReplayServer, provider: Any = Anthropic, **kwargs: Any) -> list[Any]:
    kwargs.setdefault("api_key", KEY)
    return [p async for p in provider.create_async_generator("claude-sonnet-4-6", MESSAGES,
                                                             api_base=server.api_base, **kwargs)]


def wire_events(body: bytes) -> list[tuple[str, str]]:
    return SSEDecoder().feed(body)


async def test_raw_events_are_the_wire_events_in_order(replay_server: ReplayServer) -> None:
    body = fixture_stream("tool_use_response.txt")
    expected = wire_events(body)
    # re-chunked into 7-byte pieces: events split across reads still come out whole
    replay_server.sse(body, [body[i:i + 7] for i in range(0, len(body), 7)])
    parts = await collect(replay_server, stream=True, raw_events=10_000)
    raw = [(p.event, p.data) for p in parts if isinstance(p, RawEvent)]
    assert raw == expected
    # each event comes before the parts it makes: the last wire event precedes the finish
    last_raw = max(i for i, p in enumerate(parts) if isinstance(p, RawEvent))
    finish = next(i for i, p in enumerate(parts) if isinstance(p, FinishReason))
    assert last_raw < finish


async def test_the_cap_counts_events_and_zero_means_none(replay_server: ReplayServer) -> None:
    body = fixture_stream("basic_response.txt")
    expected = wire_events(body)
    assert len(expected) > 5
    replay_server.sse(body).sse(body)
    capped = await collect(replay_server, stream=True, raw_events=5)
    plain = await collect(replay_server, stream=True)
    assert [(p.event, p.data) for p in capped if isinstance(p, RawEvent)] == expected[:5]
    assert not any(isinstance(p, RawEvent) for p in plain)
    # the content is the same either way
    assert [p for p in capped if not isinstance(p, RawEvent | RequestRecord)] == \
        [p for p in plain if not isinstance(p, RawEvent | RequestRecord)]


async def test_non_streamed_body_is_one_raw_event(replay_server: ReplayServer) -> None:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
               "content": [{"type": "text", "text": "Hi!"}], "stop_reason": "end_turn", "stop_sequence": None,
               "usage": {"input_tokens": 5, "output_tokens": 2}}
    replay_server.json(message)
    parts = await collect(replay_server, stream=False, raw_events=3)
    raw = [p for p in parts if isinstance(p, RawEvent)]
    assert len(raw) == 1 and raw[0].event == "body" and json.loads(raw[0].data) == message
    assert "Hi!" in parts


async def test_an_error_event_is_seen_before_the_error_and_the_key_is_scrubbed(replay_server: ReplayServer) -> None:
    body = (b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",'
            b'"role":"assistant","content":[],"model":"x","usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
            b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"key '
            + KEY.encode() + b' overloaded"}}\n\n')
    replay_server.sse(body)
    seen: list[Any] = []
    with pytest.raises(StreamError):
        async for part in Anthropic.create_async_generator("claude-sonnet-4-6", MESSAGES, api_key=KEY, stream=True,
                                                           api_base=replay_server.api_base, raw_events=10):
            seen.append(part)
    raw = [p for p in seen if isinstance(p, RawEvent)]
    assert [p.event for p in raw] == ["message_start", "error"]
    assert "overloaded_error" in raw[1].data and KEY not in raw[1].data and KEY[-4:] in raw[1].data


async def test_openai_compatible_streams_give_raw_events_too(replay_server: ReplayServer) -> None:
    chunk = {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "Hi"},
                                                                        "finish_reason": None}]}
    done = {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {},
                                                                       "finish_reason": "stop"}]}
    body = f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode()
    replay_server.sse(body)
    parts = await collect(replay_server, provider=OpenaiAPI, stream=True, raw_events=10)
    assert [p.data for p in parts if isinstance(p, RawEvent)] == [json.dumps(chunk), json.dumps(done), "[DONE]"]
    assert "Hi" in parts


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
async def test_bad_raw_events_refused_before_any_request(replay_server: ReplayServer, bad: Any) -> None:
    with pytest.raises(ParameterError, match="raw_events"):
        await collect(replay_server, stream=True, raw_events=bad)
    assert replay_server.requests == []
