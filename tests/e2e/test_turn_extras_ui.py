"""Per-call tool results, an edited answer and an assistant prefill, in Chromium against `python app.py`
(offline emulator). What is checked is what the next request carries (the inspector's Request view)."""

from __future__ import annotations

import json

import pytest
from app_server import ARTIFACTS
from ui import answer_text, open_section, request_body, send, wait_done

pytestmark = pytest.mark.browser
OPEN_SECTIONS = False  # each test opens only what it uses
TOOLS = [
    {"name": "get_weather", "description": "Weather for a city",
     "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}},
    {"name": "get_time", "description": "Local time", "input_schema": {"type": "object", "properties": {}}},
]
MISSING = "Type this call's result"
REPLY_TIMEOUT = 60_000  # ms: a bounded wait, generous for a loaded machine
REPLY_DONE = """(users) => {
    const bots = [...document.querySelectorAll('#chat [data-testid=bot]')];
    return document.querySelectorAll('#chat [data-testid=user]').length === users && bots.length
        && bots[bots.length - 1].innerText.includes('stop reason') && !document.querySelector('#send').disabled;
}"""


def test_two_parallel_calls_get_two_results_one_an_error(page) -> None:
    page.locator("#tools_panel > button.label-wrap").click()
    page.locator("#tools .cm-content").click()
    page.keyboard.insert_text(json.dumps(TOOLS))
    page.locator("#system textarea").click()  # leave the editor so the value is committed
    send(page, "Check get_time first, then get_weather for Lisbon.")
    wait_done(page, timeout=REPLY_TIMEOUT)
    assert [m["role"] for m in request_body(page)["messages"]] == ["user"]  # the first request: the question
    page.wait_for_selector("#tool_result_1", state="visible")
    assert not page.locator("#tool_result_2").is_visible()
    labels = [page.locator(f"#tool_result_label_{i}").inner_text() for i in range(2)]
    ids = [label.split(" · ")[2] for label in labels]
    assert labels[0].startswith("Call 1 · get_time · toolu_") and labels[1].startswith("Call 2 · get_weather · toolu_")
    assert labels[1].endswith('input {"location": "Lisbon"}')
    chat = page.locator("#chat").inner_text()
    assert chat.index(f"get_time ({ids[0]})") < chat.index(f"get_weather ({ids[1]})")  # the labels follow call order

    # an empty box: said at that box, nothing sent
    page.locator("#tool_result_text_0 textarea").fill("09:00")
    page.locator("#send").click()
    page.wait_for_function("(m) => document.querySelector('#tool_result_text_1').innerText.includes(m)", arg=MISSING,
                           timeout=REPLY_TIMEOUT)
    assert MISSING not in page.locator("#tool_result_text_0").inner_text()
    assert page.locator("#chat [data-testid=user]").count() == 1
    assert len(request_body(page)["messages"]) == 1
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator("#tool_results").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tool-results-1440x900.png"))

    page.locator("#tool_result_text_1 textarea").fill("Weather service down")
    page.locator("#tool_result_error_1 input").check()
    page.locator("#send").click()
    page.wait_for_function(REPLY_DONE, arg=2, timeout=REPLY_TIMEOUT)
    last = request_body(page)["messages"][-1]
    assert last == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": ids[0], "content": "09:00"},
        {"type": "tool_result", "tool_use_id": ids[1], "content": "Weather service down", "is_error": True}]}
    chat = page.locator("#chat").inner_text()
    assert f"Tool result · get_time ({ids[0]})\n\n09:00" in chat
    assert f"Tool error · get_weather ({ids[1]})\n\nWeather service down" in chat
    assert "get_weather tool reported an error: Weather service down" in answer_text(page)  # the emulator read both
    page.wait_for_selector("#tool_results", state="hidden")  # answered: no pending call, no boxes

    # Retry sends the same results again (Undo put them back in their boxes)
    first = page.locator("#headers textarea").input_value()  # a new response has a new request-id
    page.locator("#retry").click()
    page.wait_for_function("(old) => document.querySelector('#headers textarea').value !== old", arg=first,
                           timeout=REPLY_TIMEOUT)
    page.wait_for_function(REPLY_DONE, arg=2, timeout=REPLY_TIMEOUT)
    assert request_body(page)["messages"][-1] == last


def test_a_prefill_is_sent_and_shown_and_an_edited_answer_is_sent_as_edited(page) -> None:
    open_section(page, "prefill_section")
    page.locator("#prefill textarea").fill("Once upon a time")
    send(page, "Tell me a story")
    wait_done(page, timeout=REPLY_TIMEOUT)
    assert request_body(page)["messages"] == [{"role": "user", "content": "Tell me a story"},
                                              {"role": "assistant", "content": "Once upon a time"}]
    answer = answer_text(page)
    assert answer.startswith("Once upon a time") and len(answer) > len("Once upon a time") + 10

    page.locator("#chat [data-testid=bot]").first.hover()
    page.locator("#chat button[aria-label=Edit]").nth(1).click()  # the answer's bubble (the user's is first)
    page.locator("#chat textarea").first.fill("Once upon a time there was an edited fox.")
    page.locator("#chat button[aria-label=Submit]").click()
    page.wait_for_function("() => document.querySelector('#chat').innerText.includes('Edited: sent back')")
    page.locator("#prefill textarea").fill("")
    send(page, "And then?")
    page.wait_for_function(REPLY_DONE, arg=2, timeout=REPLY_TIMEOUT)
    assert request_body(page)["messages"] == [
        {"role": "user", "content": "Tell me a story"},
        {"role": "assistant", "content": [{"type": "text", "text": "Once upon a time there was an edited fox."}]},
        {"role": "user", "content": "And then?"}]

    # with thinking on the box is disabled, with the reason under it
    open_section(page, "thinking_section")
    page.locator("#thinking label", has_text="budget").click()
    page.wait_for_function("() => document.querySelector('#prefill textarea').disabled")
    assert "Not with thinking on" in page.locator("#prefill").inner_text()
