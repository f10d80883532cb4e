"""Per-call tool results, edited answers and the prefill: the messages a session sends next."""

from __future__ import annotations

import gradio as gr
import pytest

from playground.errors import ParameterError
from playground.responses import Reasoning, ToolCall, ToolCalls, finish_reason
from playground.run import RunRecord
from playground.ui import prefill, tool_results
from playground.ui.session import EDITED_NOTE, Draft, Exchange, Session, ToolResult, history_message, with_prefill

CALLS = [{"type": "text", "text": "I'll use both."},
         {"type": "tool_use", "id": "toolu_a", "name": "get_time", "input": {}},
         {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"location": "Lisbon"}}]


def _two_calls() -> Session:
    s = Session()
    s.exchanges = [Exchange("ask", user_message={"role": "user", "content": "ask"},
                            assistant_message={"role": "assistant", "content": CALLS})]
    return s


def _thought_reply(text: str = "Answer") -> RunRecord:
    run = RunRecord()
    run.add(Reasoning("hmm"))
    run.add(Reasoning(signature="sig"))
    run.add(text)
    run.add(finish_reason("end_turn"))
    run.mark_done()
    return run


def test_each_call_gets_its_own_result_in_call_order() -> None:
    s = _two_calls()
    assert [c["id"] for c in s.pending_calls()] == ["toolu_a", "toolu_b"]
    results = (ToolResult("toolu_b", "get_weather", "18 C", is_error=True), ToolResult("toolu_a", "get_time", "09:00"))
    assert s.next_user_message("thanks", results) == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_a", "content": "09:00"},
        {"type": "tool_result", "tool_use_id": "toolu_b", "content": "18 C", "is_error": True},
        {"type": "text", "text": "thanks"}]}  # results first (the API's rule), text after
    with pytest.raises(ParameterError, match="toolu_b"):
        s.next_user_message("", results[1:])


def test_the_boxes_show_one_per_call_and_an_empty_one_refuses_the_send() -> None:
    s = _two_calls()
    updates = tool_results.refresh(s)
    pool = tool_results.POOL
    groups, labels = updates[2:2 + pool], updates[2 + pool:2 + 2 * pool]
    assert updates[0]["visible"] is True
    assert [g["visible"] for g in groups] == [True, True] + [False] * (pool - 2)
    assert labels[1] == 'Call 2 · `get_weather` · `toolu_b` · input `{"location": "Lisbon"}`'
    texts = ["09:00", "  "] + [""] * (pool - 2)
    draft = tool_results.read_draft(s, "offline", "playground-tiny", "off", "",
                                    tool_results.boxes_value(texts, [False] * pool))
    assert draft.refused
    marks = tool_results.refresh(s)[2 + 2 * pool:2 + 3 * pool]  # after the Send: said at the empty box only
    assert marks[1]["info"] == tool_results.MISSING and marks[0]["info"] == ""
    assert tool_results.refresh(s) == [gr.skip()] * (2 + 4 * pool), "said once, then nothing to resend"
    draft = tool_results.read_draft(s, "offline", "playground-tiny", "off", "", tool_results.boxes_value(
        ["09:00", "rain", *texts[2:]], [False, True, *[False] * (pool - 2)]))
    assert not draft.refused and draft.results == (ToolResult("toolu_a", "get_time", "09:00"),
                                                   ToolResult("toolu_b", "get_weather", "rain", True))
    marks = tool_results.refresh(s)[2 + 2 * pool:2 + 3 * pool]
    assert all(m["info"] == "" for m in marks), "filled: the message at the box goes"


def test_undo_puts_the_results_back_in_their_boxes_and_the_chat_shows_them() -> None:
    s = _two_calls()
    answered = Exchange("", tool_results=(ToolResult("toolu_a", "get_time", "09:00"),
                                          ToolResult("toolu_b", "get_weather", "rain", True)))
    s.exchanges.append(answered)
    bubble = s.chat()[-1]["content"]  # the results turn is running: no hint under it
    assert bubble.index("get_time (`toolu_a`)") < bubble.index("**Tool error** · get_weather (`toolu_b`)")
    s.pop()
    updates = tool_results.refresh(s)
    pool = tool_results.POOL
    texts, errors = updates[2 + 2 * pool:2 + 3 * pool], updates[2 + 3 * pool:]
    assert [t["value"] for t in texts[:3]] == ["09:00", "rain", ""] and [e["value"] for e in errors[:2]] == [False, True]
    # boxes already showing these calls are left alone: what was typed (and a refusal message) stays
    assert all(u == gr.skip() for u in tool_results.refresh(s))
    s.exchanges.clear()
    assert tool_results.refresh(s)[0]["visible"] is False  # no pending call: the boxes go


def test_an_edited_answer_is_sent_back_as_edited_without_its_thinking() -> None:
    s = Session()
    run = _thought_reply("Paris is in Spain.")
    s.exchanges = [Exchange("q1", user_message={"role": "user", "content": "q1"}, run=run,
                            assistant_message=history_message(run, native=True)),
                   Exchange("q2", user_message={"role": "user", "content": "q2"}, run=_thought_reply("later"),
                            assistant_message={"role": "assistant", "content": "later"})]
    chat = s.chat()
    text_at = next(i for i, m in enumerate(chat) if m["content"] == "Paris is in Spain.")
    with pytest.raises(ParameterError, match="Only the reply's text"):
        s.edit_answer(text_at - 1, "x")  # the thinking bubble
    with pytest.raises(ParameterError, match="Only the reply's text"):
        s.edit_answer(text_at + 1, "x")  # the stop line
    s.edit_answer(text_at, "Paris is in France.")
    assert [e.text for e in s.exchanges] == ["q1"]  # the conversation continues from the edited turn
    assert s.history()[1] == {"role": "assistant", "content": [{"type": "text", "text": "Paris is in France."}]}
    assert [m["content"] for m in s.chat()[1:]] == ["Paris is in France.", EDITED_NOTE]
    s.edit_answer(1, "Paris is in France, on the Seine.")  # an edited turn can be edited again
    assert s.history()[1]["content"][0]["text"] == "Paris is in France, on the Seine."
    with pytest.raises(ParameterError, match="cannot be empty"):
        s.edit_answer(1, "  ")


def test_edit_keeps_tool_calls_so_their_results_still_pair() -> None:
    s = _two_calls()
    s.exchanges[0].run = RunRecord()
    s.exchanges[0].run.add("I'll use both.")
    s.exchanges[0].run.add(ToolCalls([ToolCall("toolu_a", "get_time", {}), ToolCall("toolu_b", "get_weather", {})]))
    s.exchanges[0].run.mark_done()
    s.edit_answer(1, "Checking both tools.")
    assert [b.get("id", b.get("text")) for b in s.history()[1]["content"]] == ["Checking both tools.", "toolu_a",
                                                                                 "toolu_b"]


def test_a_prefilled_reply_is_shown_and_sent_back_as_one_turn() -> None:
    run = RunRecord()
    run.add(" sunny and warm.")
    run.add(finish_reason("end_turn"))
    run.mark_done()
    s = Session()
    message = with_prefill(history_message(run, native=True), "The weather is ")
    s.exchanges = [Exchange("weather?", prefill="The weather is ", run=run,
                            user_message={"role": "user", "content": "weather?"}, assistant_message=message)]
    assert s.chat()[1]["content"] == "The weather is sunny and warm."
    assert s.history()[1] == {"role": "assistant", "content": [{"type": "text", "text": "The weather is sunny and warm."}]}
    assert with_prefill({"role": "assistant", "content": [{"type": "tool_use", "id": "t"}]}, "Let me ")["content"][0] \
        == {"type": "text", "text": "Let me"}
    s.edit_answer(1, "The weather is cold.")  # the whole shown text is the turn's text
    assert s.history()[1]["content"] == [{"type": "text", "text": "The weather is cold."}]


@pytest.mark.parametrize(("backend", "model", "thinking", "allowed", "why"), [
    ("offline", "playground-tiny", "off", True, prefill.ALLOWED),
    ("offline", "playground-tiny", "budget", False, prefill.THINKING),
    ("anthropic", "claude-opus-4-5", "off", True, prefill.ALLOWED),
    ("anthropic", "claude-sonnet-4-6", "off", False, "does not accept a prefill"),
    ("openai", "gpt-x", "off", False, prefill.NOT_MESSAGES_API),
])
def test_prefill_box_is_allowed_only_where_the_api_takes_it(backend, model, thinking, allowed, why) -> None:
    ok, reason = prefill.state(backend, model, thinking)
    assert ok is allowed and why in reason
    update = prefill.update(backend, model, thinking)
    assert update["interactive"] is allowed and (allowed or update["value"] == "")


def test_a_disallowed_prefill_is_not_carried() -> None:
    s = Session()
    empty = tool_results.boxes_value([""] * tool_results.POOL, [False] * tool_results.POOL)
    assert tool_results.read_draft(s, "offline", "playground-tiny", "budget", "Sure:", empty) == Draft()
    assert tool_results.read_draft(s, "offline", "playground-tiny", "off", "Sure:", empty).prefill == "Sure:"
    assert tool_results.read_draft(s, "offline", "playground-tiny", "off", "Sure:", "").prefill == "Sure:", \
        "no boxes on the page: nothing read from them"


def test_the_user_message_kept_is_the_one_sent_before_the_prefill() -> None:
    from playground.responses import RequestRecord
    from playground.ui.handlers import _sent_user_message

    sent = {"role": "user", "content": [{"type": "image", "source": {}}, {"type": "text", "text": "what is it?"}]}
    run = RunRecord()
    run.add(RequestRecord("POST", "http://x/v1/messages", {}, {"messages": [sent, {"role": "assistant",
                                                                                   "content": "It is"}]}))
    built = {"role": "user", "content": "what is it?"}
    assert _sent_user_message(run, built, native=True, prefilled=True) == sent  # with its media blocks
    assert _sent_user_message(run, built, native=True) == built
