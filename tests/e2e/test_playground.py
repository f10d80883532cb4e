"""The Playground tab in Chromium against `python app.py` with the offline emulator (no key)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ui import answer_text, bot_texts, choose, fill, open_tab, request_body, send, view_text, wait_done

pytestmark = pytest.mark.browser
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "150"}  # paced, so streaming and Stop are observable
ASSETS = Path(__file__).resolve().parents[2] / "assets"

LAST_BOT_GROWING = """() => {
    const bots = document.querySelectorAll('#chat .message:not(.thought) [data-testid=bot]');
    const last = bots.length ? bots[bots.length - 1].innerText : '';
    return last.length > 20 && !last.includes('stop reason') && !document.querySelector('#stop').disabled;
}"""


def test_prompt_streams_into_the_chat(page, shot) -> None:
    page.locator("#endless input").check()
    fill(page, "max_tokens", "150")
    send(page, "Tell me about the sea")
    page.wait_for_function(LAST_BOT_GROWING)
    partial = answer_text(page)
    shot(page, "streaming")
    chat = wait_done(page)
    final = answer_text(page)
    shot(page)
    assert "stop reason:" in chat
    assert len(final) > len(partial) and final.startswith(partial[:20])
    assert page.locator("#chat [data-testid=user]").first.inner_text() == "Tell me about the sea"


def test_max_tokens_gives_the_stop_reason_and_usage(page, shot) -> None:
    fill(page, "max_tokens", "5")
    send(page, "Write a long essay about mountains")
    chat = wait_done(page)
    assert "stop reason: max_tokens" in chat
    open_tab(page, "Usage")
    usage = page.locator("#usage").inner_text()
    shot(page)
    assert re.search(r"Output tokens\s+5\b", usage), usage
    assert re.search(r"Input tokens \(uncached\)\s+[1-9]", usage), usage
    assert "Estimated cost" in usage
    assert request_body(page)["max_tokens"] == 5


def test_events_tab_shows_the_wire_events(page, shot) -> None:
    fill(page, "max_tokens", "12")
    send(page, "Say something short")
    wait_done(page)
    open_tab(page, "Events")
    events = view_text(page, "events")
    shot(page)
    names = re.findall(r"event: (\w+)", events)
    # the Messages API sequence, in order, as the emulator sent it
    assert names[0] == "message_start" and names[-1] == "message_stop", names
    assert "content_block_delta" in names and names.index("message_delta") < names.index("message_stop")
    assert '"stop_reason":"max_tokens"' in events.replace(" ", "")
    assert events.index("POST ") < events.index("HTTP 200") < events.index("event: message_start")


def test_count_tokens_before_sending_matches_the_runs_usage(page, shot) -> None:
    fill(page, "system", "You are a careful assistant.")
    fill(page, "max_tokens", "10")
    page.locator("#prompt textarea").fill("How many tokens is this message?")
    page.locator("#count_tokens").click()
    page.wait_for_function("document.querySelector('#token_count').innerText.includes('input tokens')")
    counted = page.locator("#token_count").inner_text()
    shot(page, "counted")
    assert "context window" in counted
    page.locator("#send").click()
    wait_done(page)
    # the count describes the message it was made for: sending clears it
    page.wait_for_function("!document.querySelector('#token_count').innerText.includes('input tokens')")
    open_tab(page, "Usage")
    usage = page.locator("#usage").inner_text()
    n = re.search(r"([\d,]+) input tokens", counted).group(1)
    assert re.search(rf"Total input tokens\s+{n}\b", usage), (counted, usage)


def _usage_number(page, label: str) -> int:
    open_tab(page, "Usage")
    usage = page.locator("#usage").inner_text()
    return int(re.search(rf"{label}\s+([\d,]+)", usage).group(1).replace(",", ""))


@pytest.mark.parametrize("mode", ["system prompt", "whole prompt"])
def test_prompt_caching_writes_then_reads(page, shot, mode) -> None:
    # over the offline model's 128-token minimum, so the prefix is cacheable
    fill(page, "system", "You answer questions about the story of Alice. " * 30)
    page.locator("#cache label", has_text=mode).click()
    fill(page, "max_tokens", "8")
    send(page, "Who is the White Rabbit?")
    wait_done(page)
    written = _usage_number(page, "Cache write tokens")
    assert written >= 128 and _usage_number(page, "Cache read tokens") == 0
    body = request_body(page)
    if mode == "system prompt":
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    else:
        assert body["cache_control"] == {"type": "ephemeral"}
    send(page, "And the Queen?")
    wait_done(page, turns=2)
    shot(page)
    # the second turn reads what the first wrote (the whole first turn, in "whole prompt" mode)
    assert _usage_number(page, "Cache read tokens") == written
    assert "Without caching" in page.locator("#usage").inner_text()


def test_stop_sequence_cuts_the_reply(page, shot) -> None:
    fill(page, "temperature", "0")
    fill(page, "max_tokens", "60")
    send(page, "Tell me a story about a fox")
    wait_done(page)
    full = answer_text(page)
    words = full.split()
    assert len(words) > 6, full
    cut_word = words[len(words) // 2]
    fill(page, "stop_sequences", cut_word)
    page.locator("#retry").click()
    # Retry replaces the finished turn, so "one turn ended" is already true before it runs: wait for
    # the new turn's end instead (a timeout here means the stop sequence did not cut the reply)
    page.wait_for_function("() => document.querySelector('#chat').innerText.includes('stop reason: stop_sequence')"
                           " && !document.querySelector('#send').disabled")
    chat = wait_done(page)
    shot(page)
    cut = answer_text(page)
    assert "stop reason: stop_sequence" in chat
    assert cut == full[: full.index(cut_word)].rstrip() or full.startswith(cut)
    assert len(cut) < len(full)
    assert request_body(page)["stop_sequences"] == [cut_word]


def test_image_and_pdf_are_sent_and_shown(page, shot) -> None:
    page.locator("#prompt input[type=file]").set_input_files([str(ASSETS / "example.png"),
                                                              str(ASSETS / "example.pdf")])
    page.wait_for_selector("#prompt img")  # the thumbnail of the pending upload
    send(page, "What are these files?")
    reply = wait_done(page)
    shot(page)
    assert "PNG" in reply and "PDF" in reply  # the offline model acknowledges what it received
    user = page.locator("#chat .user-row").last
    assert user.locator("img[src*='example']").count() == 1
    assert "example.pdf" in user.inner_text()
    content = request_body(page)["messages"][-1]["content"]
    kinds = [block["type"] for block in content]
    assert "image" in kinds and "document" in kinds and "text" in kinds


def test_budget_thinking_enables_its_budget_and_raises_max_tokens_so_send_works(page) -> None:
    assert page.locator("#max_tokens input").input_value() == "1024"
    assert page.locator("#thinking_budget input").input_value() == "2048"
    assert page.locator("#thinking_budget input").is_disabled()  # not sent while thinking is off
    page.locator("#thinking label", has_text="budget").click()
    page.wait_for_function("() => document.querySelector('#max_tokens input').value === '3072'")
    send(page, "Think, then answer in one line")
    wait_done(page)
    assert "Check:" not in page.locator("body").inner_text()
    body = request_body(page)
    assert body["max_tokens"] == 3072 and body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert "stop reason:" in page.locator("#chat").inner_text()
    assert page.locator("#thinking_budget input").is_enabled()
    page.locator("#thinking label", has_text="adaptive").click()
    page.wait_for_function("() => document.querySelector('#thinking_budget input').disabled")


def test_thinking_shows_collapsed(page, shot) -> None:
    page.locator("#thinking label", has_text="budget").click()
    fill(page, "thinking_budget", "1024")
    fill(page, "max_tokens", "1100")
    send(page, "Think about prime numbers, then answer briefly")
    # while it streams, the Thinking block is open and its text grows in place
    page.wait_for_function("""() => {
        const g = document.querySelector('#chat .thought-group');
        const title = g && g.querySelector('.title');
        return title && title.innerText.includes('Thinking')
            && g.innerText.length > title.innerText.length + 40 && !document.querySelector('#stop').disabled;
    }""")
    shot(page, "thinking-open")
    wait_done(page)
    # once the thinking is done the block closes by itself; the browser may finish that a moment
    # after the final text shows, so wait for it (bounded) rather than read mid-collapse
    page.wait_for_function("""() => {
        const g = [...document.querySelectorAll('#chat .thought-group')].find(e => e.innerText.includes('Thinking'));
        return g && g.innerText.trim().length < 30;
    }""")
    thought = page.locator("#chat .thought-group", has_text="Thinking").first
    shot(page, "collapsed")
    collapsed = thought.inner_text().strip()
    assert collapsed.startswith("Thinking") and len(collapsed) < 30, collapsed  # only the title (and duration)
    collapsed_height = thought.bounding_box()["height"]
    thought.locator(".title").click()
    page.wait_for_function(
        "(h) => document.querySelector('#chat .thought-group').getBoundingClientRect().height > h + 10",
        arg=collapsed_height)
    shot(page, "opened")
    assert request_body(page)["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_tool_call_shows_as_a_block(page, shot) -> None:
    page.locator("#tools_panel").get_by_text("Tools").first.click()
    tools = '[{"name": "get_weather", "description": "Weather for a city", "input_schema": ' \
            '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]'
    page.locator("#tools .cm-content").click()
    page.keyboard.insert_text(tools)
    page.locator("#system textarea").click()  # leave the editor so the value is committed
    send(page, "Use get_weather for Paris please")
    chat = wait_done(page)
    shot(page)
    assert "Tool call: get_weather" in chat
    assert "stop reason: tool_use" in chat
    assert request_body(page)["tools"][0]["name"] == "get_weather"


def test_rate_limit_fault_gives_a_readable_error(page, shot) -> None:
    choose(page, "fault", "rate_limit")
    send(page, "hello")
    chat = wait_done(page, timeout=60_000)
    shot(page)
    assert "429" in chat and "rate_limit_error" in chat
    assert "request-id" in chat
    assert "Traceback" not in chat
    open_tab(page, "Errors")
    assert "429" in page.locator("#errors").inner_text()


def test_mid_stream_error_keeps_the_partial_text(page, shot) -> None:
    choose(page, "fault", "mid_stream_error")
    fill(page, "max_tokens", "200")
    send(page, "Tell me about rivers")
    chat = wait_done(page, timeout=60_000)
    shot(page)
    assert "Stream interrupted" in chat
    assert len(answer_text(page)) > 0


def test_stop_keeps_the_partial_answer_and_the_session_stays_usable(page, shot) -> None:
    page.locator("#endless input").check()
    fill(page, "max_tokens", "3000")
    send(page, "Tell me everything about forests")
    page.wait_for_function(LAST_BOT_GROWING)
    page.locator("#stop").click()
    chat = wait_done(page)
    shot(page, "stopped")
    partial = answer_text(page)
    assert "Stopped" in chat and len(partial) > 20
    # the session is usable: the next run works
    fill(page, "max_tokens", "10")
    send(page, "and now briefly")
    wait_done(page, turns=2)
    assert "stop reason: max_tokens" in bot_texts(page)[-1]
    # the stopped turn is in the history sent back (its partial text, not the marker)
    messages = request_body(page)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    sent_back = "".join(b.get("text", "") for b in messages[1]["content"]) if isinstance(
        messages[1]["content"], list) else messages[1]["content"]
    assert sent_back.strip() and "Stopped" not in sent_back and view_text(page, "request")


def test_multi_turn_history_keeps_thinking_signatures(page) -> None:
    page.locator("#thinking label", has_text="budget").click()
    fill(page, "thinking_budget", "1024")
    fill(page, "max_tokens", "1100")
    send(page, "Think first: what is a fox?")
    wait_done(page)
    send(page, "And a hound?")
    wait_done(page, turns=2)
    messages = request_body(page)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    first_block = messages[1]["content"][0]
    assert first_block["type"] == "thinking" and first_block["signature"]
    assert messages[2]["content"] == "And a hound?"


def test_redacted_thinking_shows_and_goes_back_unchanged(page, shot) -> None:
    page.locator("#thinking label", has_text="budget").click()
    fill(page, "thinking_budget", "1024")
    fill(page, "max_tokens", "1100")
    page.locator("#redact_thinking input").check()  # offline option: thinking comes back redacted
    send(page, "Think about the Cheshire Cat, then answer briefly")
    chat = wait_done(page)
    assert "Error" not in chat
    redacted = page.locator("#chat .thought-group", has_text="Thinking (redacted)")
    assert redacted.count() == 1
    assert answer_text(page).strip()
    assert "x-emulator-redact-thinking: 1" in view_text(page, "request")
    open_tab(page, "Events")
    events = view_text(page, "events").replace(" ", "")
    # the block arrived whole in content_block_start (the view shortens long events: keep the shown start)
    sent = re.findall(r'"content_block":\{"type":"redacted_thinking","data":"([A-Za-z0-9+/=]+)', events)
    assert len(sent) == 1 and len(sent[0]) > 40, events[:2000]
    send(page, "And what did the Cat say next?")
    chat = wait_done(page, turns=2)
    shot(page)
    # the emulator answers a changed block with a 400: a second answer means it went back byte-identical
    assert "Error" not in chat and chat.count("stop reason:") == 2
    assert redacted.count() == 2
    messages = request_body(page)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    block = messages[1]["content"][0]
    assert block["type"] == "redacted_thinking" and block["data"].startswith(sent[0])


def test_non_streaming_run(page) -> None:
    page.locator("#stream input").uncheck()
    fill(page, "max_tokens", "30")
    send(page, "Say something")
    chat = wait_done(page)
    assert "stop reason:" in chat and answer_text(page)
    assert request_body(page).get("stream") in (None, False)


def test_undo_and_clear(page) -> None:
    fill(page, "max_tokens", "10")
    send(page, "first message")
    wait_done(page)
    send(page, "second message")
    wait_done(page, turns=2)
    page.locator("#undo").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=user]').length === 1")
    assert page.locator("#prompt textarea").input_value() == "second message"  # back in the box to edit
    page.locator("#clear").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=user]').length === 0")
    assert view_text(page, "request") == "// no request yet"


def test_model_rules_disable_controls_and_flag_combinations(page, shot) -> None:
    choose(page, "model", "claude-opus-4-7")
    page.wait_for_function("document.querySelector('#temperature input').disabled")
    assert "does not accept temperature" in page.locator("#sampling_note").inner_text()
    choose(page, "model", "claude-sonnet-4-6")
    page.wait_for_function("!document.querySelector('#temperature input').disabled")
    fill(page, "temperature", "0.5")
    fill(page, "top_p", "0.9")
    page.wait_for_function("document.querySelector('#problems').innerText.includes('top_p')")
    shot(page)
    assert "only one" in page.locator("#problems").inner_text()
    fill(page, "top_p", "")
    page.wait_for_function("document.querySelector('#problems').innerText.trim() === ''")


def test_effort_defaults_to_not_sent_and_a_pick_is_sent(page) -> None:
    assert page.locator("#effort input").input_value() == "default (not sent)"
    send(page, "Say hi")
    wait_done(page)
    assert "output_config" not in request_body(page)
    choose(page, "effort", "high")
    send(page, "Say hi again")
    wait_done(page, turns=2)
    assert request_body(page)["output_config"] == {"effort": "high"}


def test_editing_a_message_re_asks_from_there(page, shot) -> None:
    send(page, "First question about foxes")
    wait_done(page)
    send(page, "Second question about owls")
    wait_done(page, turns=2)
    page.locator("#chat [data-testid=user]").first.hover()
    page.locator("#chat button[aria-label=Edit]").first.click()
    box = page.locator("#chat textarea")
    box.fill("Edited question about badgers")
    page.locator("#chat button[aria-label=Submit]").click()
    # the edited turn is sent again on its own: the later turn is gone
    page.wait_for_function("""() => {
        const users = [...document.querySelectorAll('#chat [data-testid=user]')].map(e => e.innerText.trim());
        return users.length === 1 && users[0] === 'Edited question about badgers';
    }""")
    wait_done(page)
    shot(page)
    assert request_body(page)["messages"] == [{"role": "user", "content": "Edited question about badgers"}]
    assert "owls" not in page.locator("#chat").inner_text()


def test_the_chats_own_clear_icon_forgets_the_conversation(page) -> None:
    send(page, "Remember the word pelican")
    wait_done(page)
    page.locator("#chat button[aria-label=Clear]").click()
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=user]').length === 0")
    send(page, "What was the word?")
    wait_done(page)
    assert request_body(page)["messages"] == [{"role": "user", "content": "What was the word?"}]


def test_editing_a_later_message_keeps_the_turns_before_it(page) -> None:
    # thinking makes each answer several chat messages: the edit must still find the right turn
    page.locator("#thinking label", has_text="budget").click()
    page.wait_for_function("() => document.querySelector('#max_tokens input').value === '3072'")
    send(page, "Think about foxes")
    wait_done(page)
    send(page, "Now think about owls")
    wait_done(page, turns=2)
    page.locator("#chat [data-testid=user]").nth(1).hover()
    page.locator("#chat button[aria-label=Edit]").nth(2).click()  # one Edit per bubble: you, the answer, you
    page.locator("#chat textarea").fill("Now think about badgers")
    page.locator("#chat button[aria-label=Submit]").click()
    page.wait_for_function("""() => [...document.querySelectorAll('#chat [data-testid=user]')]
        .map(e => e.innerText.trim()).join('|') === 'Think about foxes|Now think about badgers'""")
    wait_done(page, turns=2)
    # the Request view follows the run (its own update): wait for the edited request to be the one shown
    page.wait_for_function("() => document.querySelector('#request textarea')?.value.includes('badgers')")
    messages = request_body(page)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"] == "Think about foxes" and messages[2]["content"] == "Now think about badgers"
    assert messages[1]["content"][0]["type"] == "thinking" and messages[1]["content"][0]["signature"]


def test_a_json_schema_reply_shows_formatted_with_its_badge(page, shot) -> None:
    fmt = ('{"type": "json_schema", "json_schema": {"name": "person", "schema": {"type": "object", '
           '"properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"], '
           '"additionalProperties": false}}}')
    page.locator("#response_format .cm-content").click()
    page.keyboard.insert_text(fmt)
    page.locator("#system textarea").click()  # leave the editor so the value is committed
    send(page, "Describe a person")
    chat = wait_done(page)
    shot(page)
    assert "JSON ✓ valid against schema person" in chat, chat
    shown = page.locator("#chat [data-testid=bot] pre").first.inner_text()
    data = json.loads(shown)  # the reply itself, formatted as a JSON block
    assert set(data) == {"name", "age"} and isinstance(data["age"], int)
    assert request_body(page)["output_config"]["format"]["type"] == "json_schema"
