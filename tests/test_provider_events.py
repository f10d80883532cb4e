"""The pure event mapper, fed event by event (no HTTP): ordering rules and edge cases."""

from __future__ import annotations

import json

import pytest

from playground.errors import StreamError
from playground.providers.anthropic_events import StreamMapper, parts_from_message
from playground.responses import ContentBlock, FinishReason, Reasoning, ToolCalls, Usage


def ev(obj: dict) -> tuple[str, str]:
    return obj["type"], json.dumps(obj, separators=(",", ":"))


START = ev({"type": "message_start", "message": {"usage": {"input_tokens": 3, "output_tokens": 1}}})
STOP = [ev({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}}),
        ev({"type": "message_stop"})]


def text_block(index: int, *texts: str) -> list[tuple[str, str]]:
    return [ev({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
            *(ev({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": t}})
              for t in texts),
            ev({"type": "content_block_stop", "index": index})]


def test_feed_and_feed_many_agree() -> None:
    events = [START, ("ping", '{"type": "ping"}'), *text_block(0, "a", "b"), *STOP]
    one = StreamMapper()
    by_event = [p for name, data in events for p in one.feed(name, data)]
    many = StreamMapper().feed_many(events)
    assert by_event == many == ["a", "b", FinishReason("stop", "end_turn"), Usage(3, 2)]


def test_error_after_text_in_the_same_chunk_is_raised_after_the_text() -> None:
    mapper = StreamMapper("req_1")
    parts = mapper.feed_many([START, *text_block(0, "partial")[:2],
                              ev({"type": "error", "error": {"type": "api_error", "message": "boom"}})])
    assert parts == ["partial"] and mapper.done
    with pytest.raises(StreamError, match="boom") as info:
        mapper.finish()
    assert info.value.request_id == "req_1" and info.value.error_type == "api_error"


def test_error_event_with_unparseable_data() -> None:
    with pytest.raises(StreamError, match="not json"):
        StreamMapper().feed("error", "not json")


def test_finish_without_message_stop() -> None:
    mapper = StreamMapper()
    mapper.feed_many([START, *text_block(0, "x")])
    with pytest.raises(StreamError, match="before message_stop"):
        mapper.finish()


@pytest.mark.parametrize("event", [
    ("content_block_delta", '{"type":"content_block_delta","index":0}'),      # no delta
    ("content_block_start", '{"type":"content_block_start","index":0}'),      # no block
    ("message_start", "[1, 2]"),
    ("content_block_delta", '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":null}}'),
])
def test_malformed_events(event: tuple[str, str]) -> None:
    with pytest.raises(StreamError, match="malformed"):
        StreamMapper().feed(*event)


def test_non_stream_body_with_every_kind_of_block() -> None:
    parts = parts_from_message({
        "content": [{"type": "text", "text": "t", "citations": [{"type": "char_location"}]},
                    {"type": "redacted_thinking", "data": "r"}, {"type": "tool_use", "id": "1", "name": "f", "input": {"a": 1}},
                    {"type": "container_upload", "file_id": "f1"}],
        "stop_reason": "pause_turn", "usage": {"input_tokens": 1, "output_tokens": 1, "service_tier": "standard"}})
    assert parts[0] == "t" and isinstance(parts[1], ContentBlock) and parts[2] == Reasoning(redacted_data="r")
    assert isinstance(parts[3], ToolCalls) and parts[3].calls[0].raw_arguments == '{"a": 1}'
    assert parts[4] == ContentBlock("container_upload", {"type": "container_upload", "file_id": "f1"})
    assert parts[5].reason == "pause" and parts[6].extra == {"service_tier": "standard"}
