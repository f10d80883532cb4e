"""The run record: every part folded once; timing in ms from the run's start (an injected clock, so the
figures are checked exactly against hand-computed values)."""

from __future__ import annotations

from playground.errors import OverloadedError
from playground.responses import (
    ContentBlock,
    FinishReason,
    HeadersResponse,
    RawEvent,
    Reasoning,
    RequestRecord,
    RetryNotice,
    ToolCall,
    ToolCalls,
    Usage,
)
from playground.run import EVENTS_CAP, RunRecord
from playground.turn import TurnAccumulator
from playground.ui.render import chat_messages

SSE = {"content-type": "text/event-stream; charset=utf-8"}


class Clock:
    """A monotonic clock that reads far from zero, as time.monotonic() does."""

    def __init__(self) -> None:
        self.now = 7000.0

    def __call__(self) -> float:
        return self.now


def request(stream: bool | None) -> RequestRecord:
    body = {"model": "m", "messages": []} if stream is None else {"model": "m", "messages": [], "stream": stream}
    return RequestRecord("POST", "http://127.0.0.1:9/v1/messages", {}, body)


def streamed_run(clock: Clock) -> RunRecord:
    """Request at +0, headers at +0.125 s, first text at +0.25 s, more at +1.25 s, usage at +2.25 s,
    done at +2.5 s."""
    run = RunRecord(clock)
    run.add(request(True))
    clock.now += 0.125
    run.add(HeadersResponse(200, SSE))
    clock.now += 0.125
    run.add("Hello")
    clock.now += 1.0
    run.add(" world")
    clock.now += 1.0
    run.add(FinishReason("stop", "end_turn"))
    run.add(Usage(10, 50))
    clock.now += 0.25
    run.mark_done()
    return run


def test_streamed_timing_is_hand_computable() -> None:
    run = streamed_run(Clock())
    assert run.ttft_ms == 250.0
    assert run.last_part_ms == 2250.0
    assert run.total_ms == 2500.0
    assert run.streamed
    # 50 output tokens over the 2 s between the first output (+0.25 s) and the last part (+2.25 s)
    assert run.output_tokens_per_second == 25.0
    assert run.status == "done" and run.text == "Hello world" and run.event_count == 6


def test_times_are_none_until_they_happen() -> None:
    clock = Clock()
    run = RunRecord(clock)
    assert run.ttft_ms is None and run.total_ms is None and run.last_part_ms is None
    run.add(request(True))
    clock.now += 0.5
    run.add(RetryNotice(1, 2, 0.5, "529 overloaded_error: Overloaded"))  # not output: no first token yet
    assert run.ttft_ms is None and run.last_part_ms == 500.0 and run.running
    assert run.output_tokens_per_second is None  # no usage yet


def test_a_non_streamed_run_has_no_rate() -> None:
    clock = Clock()
    run = RunRecord(clock)
    run.add(request(False))
    clock.now += 0.75
    run.add(HeadersResponse(200, {"content-type": "application/json"}))
    run.add(RawEvent("body", '{"content": []}'))
    run.add("The whole answer.")
    clock.now += 0.0078125  # 2**-7 s: exact in binary
    run.add(Usage(10, 2000))  # 2000 tokens 7.8 ms after the first: the rate that must never be shown
    run.mark_done()
    assert not run.streamed and run.output_tokens_per_second is None
    assert run.ttft_ms == 750.0 and run.total_ms == 757.8125


def test_a_json_reply_to_a_stream_request_is_not_streamed() -> None:
    clock = Clock()
    run = RunRecord(clock)
    run.add(request(True))
    run.add(HeadersResponse(200, {"content-type": "application/json"}))
    run.add("at once")
    clock.now += 0.5
    run.add(Usage(1, 9))
    assert not run.streamed and run.output_tokens_per_second is None
    assert not RunRecord().streamed  # no request seen: not known to be streamed


def test_every_kind_of_output_counts_as_the_first_token() -> None:
    for first in (Reasoning("hmm"), Reasoning(redacted_data="R"), ToolCalls([ToolCall("t", "f", {})]),
                  ContentBlock("server_tool_use", {"id": "s", "name": "web_search", "input": {}})):
        clock = Clock()
        run = RunRecord(clock)
        run.add(request(True))
        clock.now += 0.5
        run.add("")  # an empty text delta is not output
        assert run.ttft_ms is None
        clock.now += 0.25
        run.add(first)
        assert run.ttft_ms == 750.0, first


def test_end_states_keep_the_partial_output_and_the_error() -> None:
    clock = Clock()
    run = RunRecord(clock)
    run.add(Reasoning("thinking, cut"))
    run.add("par")
    clock.now += 0.5
    run.mark_stopped()
    assert run.status == "stopped" and run.total_ms == 500.0 and run.error is None
    assert run.content_blocks[0].ended is not None  # the cut thinking block is over too

    failed = RunRecord(clock)
    error = OverloadedError(529, "overloaded_error", "Overloaded", "req_1")
    failed.mark_error(error)
    assert failed.status == "error" and failed.error is error
    assert failed.error_text == f"OverloadedError: {error}" and "Overloaded" in str(error)
    shown = RunRecord(clock)
    shown.mark_error(error, "**529** shown text")
    assert shown.error_text == "**529** shown text"


def test_thinking_keeps_its_signature_and_duration() -> None:
    clock = Clock()
    run = RunRecord(clock)
    run.add(Reasoning("Let me "))
    clock.now += 1.5
    run.add(Reasoning("think."))
    run.add(Reasoning(signature="sig-1"))
    run.add(Reasoning("again"))
    clock.now += 0.5
    run.add(Reasoning(signature="sig-2"))
    run.add("Answer.")
    run.mark_done()
    assert run.thinking == "Let me think.again"
    assert run.to_message()["content"] == [
        {"type": "thinking", "thinking": "Let me think.", "signature": "sig-1"},
        {"type": "thinking", "thinking": "again", "signature": "sig-2"},
        {"type": "text", "text": "Answer."},
    ]
    first, second = run.content_blocks[:2]
    assert (first.ended - first.started, second.ended - second.started) == (1.5, 0.5)
    assert [m["metadata"] for m in chat_messages(run)[:2]] == [
        {"title": "Thinking", "status": "done", "duration": 1.5}, {"title": "Thinking", "status": "done",
                                                                   "duration": 0.5}]


def test_redacted_thinking_goes_back_unchanged_and_is_not_shown() -> None:
    run = RunRecord()
    run.add(Reasoning(redacted_data="opaque=="))
    run.add("ok")
    assert run.to_message()["content"] == [{"type": "redacted_thinking", "data": "opaque=="},
                                           {"type": "text", "text": "ok"}]
    assert run.thinking == "" and "opaque" not in str(chat_messages(run))


def test_tool_calls_in_order_between_text() -> None:
    calls = [ToolCall("toolu_1", "get_weather", {"city": "Paris"}, '{"city": "Paris"}'),
             ToolCall("toolu_2", "get_time", {}, '{"tz": "Europe/Par')]  # cut by max_tokens: {} plus raw
    run = RunRecord()
    run.add("Checking.")
    run.add(ToolCalls(calls[:1]))
    run.add(ToolCalls(calls[1:]))
    run.add(FinishReason("tool_calls", "tool_use"))
    run.mark_done()
    assert run.tool_calls == calls
    assert run.to_message()["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {}},
    ]
    shown = chat_messages(run)
    assert [m.get("metadata", {}).get("title") for m in shown] == [
        None, "Tool call: get_weather (toolu_1)", "Tool call: get_time (toolu_2)", None]
    assert '{"tz": "Europe/Par' in shown[2]["content"]  # the raw arguments, since they did not parse


def test_citations_replace_their_streamed_text_and_are_shown() -> None:
    cited = {"type": "text", "text": "Paris is the capital.",
             "citations": [{"type": "char_location", "cited_text": "Paris is the capital of France.",
                            "document_index": 0, "start_char_index": 0, "end_char_index": 31}]}
    run = RunRecord()
    run.add("According to the document, ")
    run.add("Paris is ")
    run.add("the capital.")
    run.add(ContentBlock("text", cited))
    run.add(" Anything else?")
    assert run.text == "According to the document, Paris is the capital. Anything else?"
    assert run.to_message()["content"] == [{"type": "text", "text": "According to the document, "}, cited,
                                           {"type": "text", "text": " Anything else?"}]
    shown = chat_messages(run)
    assert [m["content"] for m in shown if "metadata" not in m] == [
        "According to the document, ", "Paris is the capital.", " Anything else?"]
    citations = next(m for m in shown if m.get("metadata", {}).get("title") == "Citations")
    assert "Paris is the capital of France." in citations["content"]


def test_a_non_streamed_citations_block_without_streamed_text() -> None:
    cited = {"type": "text", "text": "Cited.", "citations": [{"type": "char_location", "cited_text": "x"}]}
    run = RunRecord()
    run.add(ContentBlock("text", cited))
    assert run.text == "Cited." and run.chars == 6 and run.to_message()["content"] == [cited]


def test_other_blocks_are_kept_whole_and_copied() -> None:
    data = {"type": "web_search_tool_result", "tool_use_id": "s1", "content": [{"url": "https://x"}]}
    run = RunRecord()
    run.add(ContentBlock("web_search_tool_result", data))
    message = run.to_message()
    message["content"][0]["content"][0]["url"] = "changed"
    assert run.to_message()["content"] == [data]
    assert data["content"][0]["url"] == "https://x"  # the part itself is never changed either


def test_metadata_parts_and_the_events_log() -> None:
    clock = Clock()
    run = RunRecord(clock)
    first, retry, second = request(True), RetryNotice(1, 2, 0.5, "529"), request(True)
    headers = HeadersResponse(200, {"request-id": "req_9", **SSE})
    run.add(first)
    run.add(retry)
    run.add(second)
    clock.now += 0.5
    run.add(headers)
    run.add(RawEvent("content_block_delta", '{"delta":{"type":"text_delta","text":"Hi"}}'))
    run.add("Hi")  # restates the wire event: not logged twice
    assert run.requests == [first, second] and run.request is second
    assert run.retries == [retry] and run.headers is headers
    assert [(t, kind) for t, kind, _ in run.events] == [
        (0.0, "request"), (0.0, "retry"), (0.0, "request"), (500.0, "headers"), (500.0, "event: content_block_delta")]
    assert run.event_count == 5 and run.wire_events == 1


def test_the_events_log_is_capped_but_counted() -> None:
    run = RunRecord()
    for _ in range(EVENTS_CAP + 5):
        run.add("x")
    assert len(run.events) == EVENTS_CAP and run.event_count == EVENTS_CAP + 5 and run.text == "x" * (EVENTS_CAP + 5)


def test_the_library_accumulator_is_the_record() -> None:
    assert TurnAccumulator is RunRecord
