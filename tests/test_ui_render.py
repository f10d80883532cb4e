"""What the chat shows of a run record, and the render throttle (pure: no Gradio, no I/O)."""

from __future__ import annotations

import json

from playground.errors import AuthenticationError, RateLimitError, StreamError
from playground.responses import (
    ContentBlock,
    FinishReason,
    HeadersResponse,
    Reasoning,
    RetryNotice,
    ToolCall,
    ToolCalls,
    Usage,
    finish_reason,
)
from playground.run import EVENTS_CAP, RunRecord
from playground.ui.messages import describe_error
from playground.ui.render import Throttle, chat_messages, render_interval


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_throttle_allows_one_render_per_interval() -> None:
    clock = FakeClock()
    throttle = Throttle(0.05, clock)
    assert throttle.due()
    assert not throttle.due()
    clock.now += 0.049
    assert not throttle.due()
    assert 0 < throttle.remaining() <= 0.001 + 1e-9
    clock.now += 0.001
    assert throttle.due()
    assert throttle.remaining() == 0.05


def test_throttle_over_a_simulated_fast_stream_renders_about_20_per_second() -> None:
    clock = FakeClock()
    throttle = Throttle(0.05, clock)
    renders = 0
    for _ in range(10_000):  # 10,000 deltas over 2 simulated seconds
        clock.now += 0.0002
        renders += throttle.due()
    assert 38 <= renders <= 41


def test_final_text_is_the_concatenation_of_deltas() -> None:
    view = RunRecord()
    deltas = [f"w{i} " for i in range(10_000)]
    for i, delta in enumerate(deltas):
        view.add(delta)
        if i % 997 == 0:
            chat_messages(view)  # intermediate renders must not disturb the text
    view.add(finish_reason("end_turn"))
    view.mark_done()
    assert view.text == "".join(deltas)
    assert chat_messages(view)[0] == {"role": "assistant", "content": "".join(deltas)}


def test_thinking_is_pending_while_it_grows_then_done_and_before_the_answer() -> None:
    clock = FakeClock()
    view = RunRecord(clock)
    view.add(Reasoning("Let me "))
    view.add(Reasoning("think."))
    first = chat_messages(view)
    assert first[0]["metadata"] == {"title": "Thinking", "status": "pending"}
    assert first[0]["content"] == "Let me think."
    clock.now += 1.5
    view.add(Reasoning(signature="sig123"))
    view.add("Answer.")
    msgs = chat_messages(view)
    assert msgs[0]["metadata"]["status"] == "done"
    assert msgs[0]["metadata"]["duration"] == 1.5
    assert msgs[1] == {"role": "assistant", "content": "Answer."}
    assert view.thinking == "Let me think."


def test_text_after_unsigned_thinking_closes_it() -> None:
    view = RunRecord()
    view.add(Reasoning("hmm"))
    view.add("ok")
    assert chat_messages(view)[0]["metadata"]["status"] == "done"


def test_redacted_thinking_shows_as_a_closed_block() -> None:
    view = RunRecord()
    view.add(Reasoning(redacted_data="opaque"))
    msg = chat_messages(view)[0]
    assert msg["metadata"]["title"] == "Thinking (redacted)"
    assert "opaque" not in msg["content"]


def test_tool_calls_show_as_collapsible_json_blocks_in_order() -> None:
    view = RunRecord()
    view.add("Checking the weather.")
    view.add(ToolCalls([ToolCall("toolu_1", "get_weather", {"city": "Paris", "units": "C"})]))
    view.add(finish_reason("tool_use"))
    view.mark_done()
    msgs = chat_messages(view)
    assert msgs[0]["content"] == "Checking the weather."
    assert msgs[1]["metadata"]["title"] == "Tool call: get_weather (toolu_1)"
    body = msgs[1]["content"].removeprefix("```json\n").removesuffix("\n```")
    assert json.loads(body) == {"city": "Paris", "units": "C"}
    assert msgs[-1]["content"] == "*stop reason:* `tool_use`"


def test_unparsed_tool_arguments_are_shown_raw_and_fences_cannot_be_broken() -> None:
    view = RunRecord()
    view.add(ToolCalls([ToolCall("t", "f", {}, raw_arguments='{"x": "```"')]))
    content = chat_messages(view)[0]["content"]
    assert content.startswith("````json\n") and content.endswith("\n````")


def test_content_block_is_kept_visible() -> None:
    view = RunRecord()
    view.add(ContentBlock("web_search_tool_result", {"content": []}))
    assert chat_messages(view)[0]["metadata"]["title"] == "Block: web_search_tool_result"


def test_stop_reason_and_stop_sequence_footer() -> None:
    view = RunRecord()
    view.add("one two")
    view.add(FinishReason("stop", "stop_sequence", "\nEND"))
    view.mark_done()
    assert chat_messages(view)[-1]["content"] == "*stop reason:* `stop_sequence` *(sequence* `\\nEND`*)*"


def test_stopped_run_keeps_partial_text_and_says_so() -> None:
    view = RunRecord()
    view.add("partial ans")
    view.mark_stopped()
    msgs = chat_messages(view)
    assert msgs[0]["content"] == "partial ans"
    assert "Stopped" in msgs[-1]["content"]
    assert view.status == "stopped"


def test_error_keeps_partial_text_and_shows_status_and_request_id() -> None:
    view = RunRecord()
    view.add(HeadersResponse(200, {"request-id": "req_1"}))
    view.add("half of it")
    error = StreamError("connection cut", "overloaded_error", "req_1")
    view.mark_error(error, describe_error(error))
    msgs = chat_messages(view)
    assert msgs[0]["content"] == "half of it"
    assert "Stream interrupted" in msgs[-1]["content"] and "`req_1`" in msgs[-1]["content"]


def test_describe_status_error_is_readable_and_escaped() -> None:
    text = describe_error(RateLimitError(429, "rate_limit_error", "Too <b>many</b> requests", "req_9"))
    assert text.startswith("**429 rate\\_limit\\_error**: Too &lt;b&gt;many&lt;/b&gt; requests")
    assert "request-id: `req_9`" in text
    assert "check your API key" in describe_error(AuthenticationError(401, "authentication_error", "invalid x-api-key"))


def test_retry_notices_show_while_running() -> None:
    view = RunRecord()
    view.add(RetryNotice(1, 2, 1.5, "429 rate_limit_error: slow down"))
    msgs = chat_messages(view)
    assert msgs[0]["metadata"]["title"] == "Retry 1/2 in 1.5 s"
    assert msgs[-1]["content"] == "…"  # still waiting for the answer


def test_usage_and_timing_fields_are_tracked() -> None:
    clock = FakeClock()
    view = RunRecord(clock)
    clock.now += 0.2
    view.add("a")
    clock.now += 1.0
    view.add(Usage(10, 20))
    assert view.ttft_ms == (100.2 - 100.0) * 1000
    assert view.usage == Usage(10, 20)
    assert view.event_count == 2


def test_events_log_is_capped_but_counted() -> None:
    view = RunRecord()
    for _ in range(EVENTS_CAP + 50):
        view.add("x")
    assert len(view.events) == EVENTS_CAP
    assert view.event_count == EVENTS_CAP + 50


def test_render_interval_grows_with_long_answers() -> None:
    view = RunRecord()
    view.add("x" * 1000)
    assert render_interval(view, 0.05) == 0.05
    view.add(Reasoning("y" * 99_000))
    assert view.chars == 100_000
    assert abs(render_interval(view, 0.05) - 0.3) < 1e-9
