"""TurnAccumulator: parts in, a history-ready assistant message out."""

from __future__ import annotations

from playground.responses import (
    ContentBlock,
    FinishReason,
    HeadersResponse,
    Reasoning,
    RequestRecord,
    RetryNotice,
    ToolCall,
    ToolCalls,
    Usage,
)
from playground.turn import TurnAccumulator


def fill(*parts: object) -> TurnAccumulator:
    acc = TurnAccumulator()
    for part in parts:
        acc.add(part)  # type: ignore[arg-type]
    return acc


def test_full_turn() -> None:
    record = RequestRecord("POST", "u", {}, {})
    headers = HeadersResponse(200, {"request-id": "r"})
    notice = RetryNotice(1, 2, 0.5, "529 overloaded_error: Overloaded")
    acc = fill(record, notice, record, headers, Reasoning("a"), Reasoning("b"), Reasoning(signature="sig"),
               Reasoning(redacted_data="R"), "Hel", "lo", ToolCalls([ToolCall("t1", "f", {"x": 1}, '{"x": 1}')]),
               ContentBlock("compaction", {"type": "compaction", "content": "c"}),
               FinishReason("tool_calls", "tool_use"), Usage(3, 4))
    assert acc.text == "Hello" and acc.thinking == "ab"
    assert acc.tool_calls == [ToolCall("t1", "f", {"x": 1}, '{"x": 1}')]
    assert acc.finish.raw == "tool_use" and acc.usage.total_tokens == 7
    assert acc.headers is headers and acc.request is record and acc.retries == [notice]
    assert acc.to_message() == {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "ab", "signature": "sig"},
        {"type": "redacted_thinking", "data": "R"},
        {"type": "text", "text": "Hello"},
        {"type": "tool_use", "id": "t1", "name": "f", "input": {"x": 1}},
        {"type": "compaction", "content": "c"},
    ]}


def test_text_blocks_split_by_other_blocks_stay_separate() -> None:
    acc = fill("one", ToolCalls([ToolCall("t", "f", {})]), "two")
    assert [b["type"] for b in acc.to_message()["content"]] == ["text", "tool_use", "text"]


def test_citations_replace_the_streamed_text_of_their_block_only() -> None:
    cited = {"type": "text", "text": "Cited.", "citations": [{"type": "char_location", "cited_text": "x"}]}
    acc = fill("Intro. ", "Cited.", ContentBlock("text", cited), " After.")
    assert acc.to_message()["content"] == [{"type": "text", "text": "Intro. "}, cited,
                                           {"type": "text", "text": " After."}]
    assert acc.text == "Intro. Cited. After."


def test_unsigned_thinking_and_empty_text_are_not_sent_back() -> None:
    acc = fill(Reasoning("from an OpenAI-style endpoint"), "  ")
    assert acc.thinking == "from an OpenAI-style endpoint"
    assert acc.to_message() == {"role": "assistant", "content": []}


def test_two_thinking_blocks() -> None:
    acc = fill(Reasoning("a"), Reasoning(signature="1"), Reasoning("b"), Reasoning(signature="2"))
    assert [b["signature"] for b in acc.to_message()["content"]] == ["1", "2"]


def test_message_is_a_copy() -> None:
    acc = fill(ToolCalls([ToolCall("t", "f", {"nested": {"a": 1}})]))
    message = acc.to_message()
    message["content"][0]["input"]["nested"]["a"] = 2
    assert acc.to_message()["content"][0]["input"] == {"nested": {"a": 1}}
