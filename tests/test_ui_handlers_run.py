"""The send/stop/undo handlers end to end against the real offline emulator (in-process, real HTTP)."""

from __future__ import annotations

import pytest

from playground import catalog
from playground.backends import Backends
from playground.config import Config
from playground.settings import FIELDS, RunSettings
from playground.ui.handlers import Handlers
from playground.ui.session import Session


@pytest.fixture(scope="module")
def handlers():
    backends = Backends(Config(emulator_tps=300))
    yield Handlers(backends)
    backends.close()


def _values(**overrides: object) -> list[object]:
    settings = {**RunSettings().to_ui(), "model": catalog.EMULATOR_MODEL, **overrides}
    return [settings[k] for k in FIELDS]


async def _drain(gen) -> list[tuple]:
    return [update async for update in gen]


SKIP = {"__type__": "update"}


def _sent(updates: list[tuple], index: int) -> list:
    """The values output ``index`` got over a run's updates (skips left out)."""
    return [u[index] for u in updates if u[index] != SKIP and not (isinstance(u[index], dict) and u[index].get("__type__"))]


@pytest.mark.timeout(60)
async def test_a_run_fills_chat_history_and_inspector(handlers) -> None:
    session = Session()
    updates = await _drain(handlers.send(session, {"text": "Hello there", "files": []}, "", *_values(max_tokens=20)))
    chat = _sent(updates, 0)[-1]
    # Gradio's completion message repeats the last update's values in full: the last update changes nothing
    assert all(u == SKIP for u in updates[-1])
    # after the answer, its own update: Send and Stop back, the inspector's other tabs, the result boxes
    send_btn, stop_btn, request, headers, usage, timing, events, errors = updates[-2][2:10]
    assert send_btn["interactive"] is True and stop_btn["interactive"] is False
    assert chat[0] == {"role": "user", "content": "Hello there"}
    assert "stop reason" in chat[-1]["content"]
    # the Request and Headers tabs came with the stream; after the run they are not sent again
    (shown_request,), (shown_headers,) = _sent(updates, 4), _sent(updates, 5)
    assert '"max_tokens": 20' in shown_request and "request-id" in shown_headers and "Output tokens" in usage
    assert request == SKIP and headers == SKIP
    history = session.history()
    assert history[0] == {"role": "user", "content": "Hello there"} and history[1]["role"] == "assistant"
    assert history[1]["content"][0]["type"] == "text"


@pytest.mark.timeout(60)
async def test_a_second_send_while_streaming_is_refused_and_stop_keeps_the_partial(handlers) -> None:
    session = Session()
    first = handlers.send(session, "Tell me a long story", "", *_values(max_tokens=2000, endless=True))
    await first.__anext__()  # the user's bubble is shown, the run is on
    with pytest.warns(UserWarning, match="still streaming"):  # gr.Warning outside a request
        second = await _drain(handlers.send(session, "and another", "", *_values()))
    assert len(second) == 1 and len(session.exchanges) == 1  # refused: nothing started
    assert all(u == SKIP for u in second[0])  # the running UI is left alone
    partial = ""
    async for update in first:
        chat = update[0]
        if chat is not None and not isinstance(chat, dict) and chat and session.last_run and session.last_run.text:
            partial = session.last_run.text
            await handlers.stop(session)
            break
    rest = await _drain(first)
    final_chat = [u[0] for u in rest if isinstance(u[0], list)][-1]
    assert "Stopped" in final_chat[-1]["content"]
    assert session.last_run.text.startswith(partial) and session.last_run.status == "stopped"
    assert not session.busy and not session.control.running
    # the stopped answer's text goes back as history on the next turn
    assert session.history()[1]["content"][0]["text"] == session.last_run.text


@pytest.mark.timeout(60)
async def test_bad_settings_show_a_readable_error_without_a_request(handlers) -> None:
    session = Session()
    values = _values(tools="[{")
    updates = await _drain(handlers.send(session, "hi", "", *values))
    assert all(u == {"__type__": "update"} for u in updates[-1])  # nothing else on the page changes
    assert session.exchanges == [] and session.history() == []
    from playground.ui.controls import field_problems

    assert field_problems(tuple(values))["tools"].startswith("not valid JSON (line 1")  # said at the field


@pytest.mark.timeout(60)
async def test_after_the_effort_trap_a_send_gets_a_reply_without_the_effort(handlers) -> None:
    # Effort `low` chosen on Sonnet 4.6 and still in the box after switching to Haiku 4.5 (no effort)
    session = Session()
    await _drain(handlers.send(session, "hi", "", *_values(model="claude-haiku-4-5", effort="low", max_tokens=20)))
    view = session.last_run
    assert view.status == "done", view.error_text
    assert "output_config" not in view.requests[-1].body and view.text


@pytest.mark.timeout(60)
async def test_caching_a_missing_system_prompt_is_refused_by_name(handlers) -> None:
    # what every tuning tab refuses (RunSettings.problems) a Send refuses too, instead of sending uncached
    session = Session()
    updates = await _drain(handlers.send(session, "hi", "", *_values(cache="system")))
    chat = _sent(updates, 0)[-1]
    assert "cache" in chat[-1]["content"] and "no system prompt to cache" in chat[-1]["content"]
    assert session.history() == []


@pytest.mark.timeout(60)
async def test_each_turn_sends_its_request_view_once_and_clear_resets_what_is_shown(handlers) -> None:
    session = Session()

    async def turn(text: str) -> tuple[list, tuple]:
        """The Request tab's values over one Send (the stream and the update after the answer), and the
        buttons and inspector views of the update after the answer."""
        updates = await _drain(handlers.send(session, text, "", *_values(max_tokens=10)))
        return _sent(updates, 4), updates[-2][2:10]

    first, _ = await turn("first")
    second, after = await turn("second")
    assert len(second) == 1 and '"second"' in second[0] and '"first"' in second[0]  # the new request, once
    assert "Output tokens" in after[4]  # this turn's usage is new: it is sent
    assert Handlers.clear(session)[1] == "// no request yet"  # the page now shows the empty inspector
    again, _ = await turn("first")
    # the same request text as the first turn's, which the page no longer shows: sent again, once
    assert len(first) == 1 and again == first


@pytest.mark.timeout(90)
async def test_an_edited_thinking_turn_and_tool_results_are_accepted_by_the_emulator(handlers) -> None:
    from playground.ui.session import Draft, ToolResult

    session = Session()
    thinking = _values(thinking="budget", thinking_budget=1024, max_tokens=1500)
    await _drain(handlers.send(session, "Think about foxes", "", *thinking))
    assert session.history()[1]["content"][0]["type"] == "thinking"
    text_at = max(i for i, m in enumerate(session.chat()) if m["role"] == "assistant" and not m.get("metadata")
                  and "stop reason" not in m["content"])
    session.edit_answer(text_at, "Foxes are clever.")
    await _drain(handlers.send(session, "And owls?", "", *thinking))
    sent = session.last_run.request.body["messages"]
    assert sent[1] == {"role": "assistant", "content": [{"type": "text", "text": "Foxes are clever."}]}
    assert session.last_run.status == "done", session.last_run.error_text  # the API's rules kept

    tools = '[{"name": "get_time", "input_schema": {"type": "object"}}, {"name": "get_news", "input_schema": {"type": "object"}}]'
    calls_values = _values(tools=tools, max_tokens=200)
    await _drain(handlers.send(session, "Use get_time and get_news", "", *calls_values))
    ids = [c["id"] for c in session.pending_calls()]
    assert len(ids) == 2
    session.draft = Draft((ToolResult(ids[0], "get_time", "09:00"), ToolResult(ids[1], "get_news", "offline", True)))
    await _drain(handlers.send(session, "", "", *calls_values))
    assert session.last_run.request.body["messages"][-1]["content"] == [
        {"type": "tool_result", "tool_use_id": ids[0], "content": "09:00"},
        {"type": "tool_result", "tool_use_id": ids[1], "content": "offline", "is_error": True}]
    assert session.last_run.status == "done" and not session.pending_calls()

    session.draft = Draft(prefill="The answer is ")
    await _drain(handlers.send(session, "What is 6 x 7?", "", *_values(max_tokens=30)))
    assert session.last_run.request.body["messages"][-1] == {"role": "assistant", "content": "The answer is"}
    assert session.history()[-1]["content"][0]["text"].startswith("The answer is")
    assert session.chat()[-2]["content"].startswith("The answer is")  # shown as the start of the reply
