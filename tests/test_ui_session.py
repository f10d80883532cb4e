"""Per-session conversation: history sent back, partial turns, tool results, chat display."""

from __future__ import annotations

import copy

from playground.responses import Reasoning, ToolCall, ToolCalls, finish_reason
from playground.run import RunRecord
from playground.ui.session import TOOL_RESULT_HINT, Exchange, Session, ToolResult, history_message


def _view(status: str, *parts: object) -> RunRecord:
    view = RunRecord()
    for part in parts:
        view.add(part)
    {"done": view.mark_done, "stopped": view.mark_stopped}[status]()
    return view


def test_finished_turn_is_sent_back_unchanged_with_signatures() -> None:
    view = _view("done", Reasoning("hmm"), Reasoning(signature="sig"), "Hi")
    assert history_message(view, native=True) == {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "Hi"}]}


def test_stopped_turn_keeps_only_what_the_api_accepts() -> None:
    # thinking cut before its signature, text, a tool call: only the text may go back
    view = _view("stopped", Reasoning("unsigned"), "par", ToolCalls([ToolCall("t1", "f", {})]))
    assert history_message(view, native=True) == {"role": "assistant", "content": [{"type": "text", "text": "par"}]}
    assert history_message(_view("stopped", Reasoning("x"), Reasoning(signature="s")), native=True) is None


def test_openai_backend_history_is_plain_text() -> None:
    assert history_message(_view("done", "hello"), native=False) == {"role": "assistant", "content": "hello"}
    assert history_message(_view("done"), native=False) is None


def test_history_skips_exchanges_without_an_answer() -> None:
    s = Session()
    s.exchanges = [
        Exchange("one", user_message={"role": "user", "content": "one"},
                 assistant_message={"role": "assistant", "content": "1"}),
        Exchange("failed", user_message={"role": "user", "content": "failed"}),
        Exchange("two", user_message={"role": "user", "content": "two"},
                 assistant_message={"role": "assistant", "content": "2"}),
    ]
    assert [m["content"] for m in s.history()] == ["one", "1", "two", "2"]


def test_after_a_tool_call_the_next_message_is_the_tool_result() -> None:
    s = Session()
    s.exchanges = [Exchange("weather?", user_message={"role": "user", "content": "weather?"},
                            assistant_message={"role": "assistant", "content": [
                                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]})]
    result = ToolResult("toolu_1", "get_weather", "18 C and sunny")
    assert s.next_user_message("", (result,)) == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 C and sunny"}]}
    assert s.chat()[-1]["content"] == f"*{TOOL_RESULT_HINT}*"
    assert Session().next_user_message("hi") == {"role": "user", "content": "hi"}


def test_chat_shows_user_files_and_the_turn() -> None:
    s = Session()
    view = RunRecord()
    view.add(Reasoning("thinking..."))
    view.add("Answer")
    view.add(finish_reason("end_turn"))
    view.mark_done()
    s.exchanges = [Exchange("look", files=["/tmp/x/cat.png", "/tmp/x/doc.pdf"], run=view)]
    chat = s.chat()
    assert chat[0] == {"role": "user", "content": [
        "look", {"path": "/tmp/x/cat.png", "mime_type": "image/png", "orig_name": "cat.png"},
        {"path": "/tmp/x/doc.pdf", "mime_type": "application/pdf", "orig_name": "doc.pdf"}]}
    assert chat[1]["metadata"]["title"] == "Thinking" and chat[2]["content"] == "Answer"
    assert chat[3]["content"] == "*stop reason:* `end_turn`"


def test_sessions_copied_by_gradio_state_start_empty_and_share_nothing() -> None:
    s = Session()
    s.exchanges.append(Exchange("mine"))
    other = copy.deepcopy(s)
    assert other.exchanges == [] and other.control is not s.control
    assert s.pop().text == "mine" and s.pop() is None


def test_editing_a_user_bubble_rewinds_to_that_turn() -> None:
    from playground.ui.handlers import _edited_text

    def thought_turn() -> RunRecord:
        view = RunRecord()
        view.add(Reasoning("hmm"))
        view.add("Answer")
        view.add(finish_reason("end_turn"))
        view.mark_done()
        return view

    s = Session()
    first = Exchange("first", files=["/tmp/x/cat.png"], run=thought_turn())
    s.exchanges = [first, Exchange("second", run=thought_turn()), Exchange("third", run=_view("done", "ok"))]
    chat = s.chat()
    second_bubble = next(i for i, m in enumerate(chat) if m == {"role": "user", "content": "second"})
    assert s.rewind_to(second_bubble + 1) is None and len(s.exchanges) == 3  # an answer bubble: no rewind
    assert s.rewind_to(second_bubble).text == "second" and [e.text for e in s.exchanges] == ["first"]
    assert s.rewind_to(0) is first and s.exchanges == []
    # the edited bubble's text; its file parts are the turn's attachments, kept from the turn itself
    assert _edited_text("new text") == "new text"
    assert _edited_text(["new text", {"path": "/tmp/x/cat.png"}]) == "new text"
    assert _edited_text([{"type": "text", "text": "a path to glory"}]) == "a path to glory"
