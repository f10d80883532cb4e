"""The Playground as a new user meets it, in Chromium against `python app.py` (offline emulator):
the keyboard, a bad value said at its field, confirmations, share-link problems where the link
opens, clean error text, backend switching, the laptop and phone layouts, dark mode and a quiet log."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest
from ui import bot_texts, choose, fill, open_section, send, wait_done

pytestmark = pytest.mark.browser
_DATA = Path(tempfile.mkdtemp(prefix="ux-e2e-"))
APP_ENV = {
    "PLAYGROUND_EMULATOR_TPS": "150",  # paced, so Stop lands mid-stream
    "PLAYGROUND_HISTORY_PATH": str(_DATA / "history.sqlite3"),
    "PLAYGROUND_PRESETS_PATH": str(_DATA / "presets.json"),
}
OPEN_SECTIONS = False  # see the page as it opens: the long sections collapsed

# A leaf element whose whole text is "Error": Gradio's status badge over a failed event's outputs.
BARE_ERROR = """() => [...document.querySelectorAll('body *')].filter(e => e.children.length === 0
    && e.textContent.trim() === 'Error' && e.offsetParent !== null).length"""
TOASTS = "[data-testid=toast-body]"
# Records, from now on, whether a toast or a bare "Error" badge ever showed (both vanish by themselves).
WATCH = """() => { window.__seen = {toast: 0, error: 0};
    new MutationObserver(() => {
        if (document.querySelector('[data-testid=toast-body]')) window.__seen.toast++;
        if ((""" + BARE_ERROR + """)()) window.__seen.error++;
    }).observe(document.body, {subtree: true, childList: true, characterData: true}); }"""


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def toast_texts(page) -> list[str]:
    return page.locator(TOASTS).all_inner_texts()


def wait_toast(page, text: str) -> str:
    """Wait (bounded) for a toast containing ``text``; its whole text."""
    page.wait_for_function("([sel, t]) => [...document.querySelectorAll(sel)].some(e => e.innerText.includes(t))",
                           arg=[TOASTS, text], timeout=15_000)
    return next(t for t in toast_texts(page) if text in t)


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


# -- keyboard ---------------------------------------------------------------------------------------

def test_enter_sends_shift_enter_adds_a_line_ctrl_enter_sends(page) -> None:
    hint = page.locator("#prompt_hint").inner_text()
    assert "Enter sends" in hint and "Shift+Enter" in hint and "Ctrl" in hint, hint
    area = page.locator("#prompt textarea")
    area.fill("first line")
    area.press("Shift+Enter")
    area.type("second line")
    assert area.input_value() == "first line\nsecond line"
    assert page.locator("#chat [data-testid=user]").count() == 0  # Shift+Enter did not send
    area.press("Enter")
    wait_done(page)
    assert page.locator("#chat [data-testid=user]").first.inner_text() == "first line\nsecond line"
    assert area.input_value() == ""
    area.fill("and once more")
    area.press("Control+Enter")
    wait_done(page, turns=2)
    assert page.locator("#chat [data-testid=user]").nth(1).inner_text() == "and once more"


# -- a bad value, at its field ----------------------------------------------------------------------

def test_invalid_max_tokens_is_said_at_the_field_and_goes_once_fixed(page, shot) -> None:
    fill(page, "max_tokens", "-5")
    page.wait_for_function("document.querySelector('#max_tokens').innerText.includes('at least 1')")
    field = page.locator("#max_tokens").inner_text()
    assert "must be a whole number of at least 1, got -5" in field, field
    assert "invalid" in (page.locator("#max_tokens").get_attribute("class") or "")
    check = page.locator("#problems").inner_text()
    assert "max_tokens" in check and "at least 1" in check and "128,000" not in check, check
    page.evaluate(WATCH)
    send(page, "Hello there")
    shot(page, "refused")
    fill(page, "max_tokens", "40")
    page.wait_for_function("!document.querySelector('#max_tokens').innerText.includes('at least 1')")
    assert "invalid" not in (page.locator("#max_tokens").get_attribute("class") or "")
    page.wait_for_function("document.querySelector('#problems').innerText.trim() === ''")
    # the refused click left the message in the box, to send once fixed
    assert page.locator("#prompt textarea").input_value() == "Hello there"
    page.locator("#send").click()
    assert "stop reason:" in wait_done(page)
    # the refused click made no turn, and neither click ever showed a toast or an "Error" badge
    assert page.locator("#chat [data-testid=user]").all_inner_texts() == ["Hello there"]
    assert page.evaluate("window.__seen") == {"toast": 0, "error": 0}


def test_sweep_repeats_zero_is_said_in_words(page) -> None:
    tab(page, "Sweep")
    page.locator("#sweep_prompt textarea").fill("Say hi")
    fill(page, "sweep_repeats", "0")
    page.evaluate(WATCH)
    page.locator("#sweep_estimate").click()
    page.wait_for_function("document.querySelector('#sweep_plan').innerText.includes('Repeats')")
    plan = page.locator("#sweep_plan").inner_text()
    assert "Repeats: give a whole number from 1 to 50 (got 0)" in plan, plan
    assert page.evaluate("window.__seen") == {"toast": 0, "error": 0}


# -- confirmations ----------------------------------------------------------------------------------

def test_each_copy_and_load_action_confirms_with_a_toast(page) -> None:
    tab(page, "Compare")
    fill(page, "cmp0_temperature", "0.3")
    page.locator("#cmp0_copy").click()
    assert "copied to the Playground" in wait_toast(page, "Settings copied")
    tab(page, "Playground")
    page.wait_for_function("document.querySelector('#temperature input, #temperature textarea').value === '0.3'")

    tab(page, "Export / Share")
    fill(page, "preset_name", "warm")
    page.locator("#preset_save").click()
    wait_toast(page, "Preset 'warm' saved.")
    page.locator("#preset_load").click()
    wait_toast(page, "Preset 'warm' loaded into the Playground.")
    page.locator("#preset_delete").click()
    wait_toast(page, "Preset 'warm' deleted.")

    tab(page, "Playground")
    fill(page, "max_tokens", "12")
    send(page, "A note about lanterns")
    wait_done(page)
    tab(page, "History")
    page.wait_for_function("() => document.querySelector('#history_table')?.innerText.includes('chat')")
    page.locator("#history_table").get_by_text("chat", exact=True).filter(visible=True).first.click()
    page.wait_for_function("() => document.querySelector('#history_prompt textarea').value.includes('lanterns')")
    page.locator("#history_to_chat").click()
    assert "copied to the Playground" in wait_toast(page, "Run #")


def test_a_bad_share_link_names_its_bad_values_on_the_playground(browser, app) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(app.url + "?temperature=7&top_k=abc&max_tokens=-3&top_p=0.5")
    page.wait_for_function("document.querySelector('#share_notice')?.innerText.includes('Ignored')",
                           timeout=30_000)
    notice = page.locator("#share_notice").inner_text()
    assert page.get_by_role("tab", name="Playground", exact=True).get_attribute("aria-selected") == "true"
    assert page.locator("#share_notice").is_visible()
    for said in ("temperature: must be a number from 0 to 1, got 7", "top_k: expected a number, got 'abc'",
                 "max_tokens: must be a whole number of at least 1, got -3"):
        assert said in notice, notice
    assert "invalid literal" not in notice and "int()" not in notice
    assert "Ignored" in wait_toast(page, "Ignored")  # and a toast, where the link opens
    # what the link carried that is fine was restored
    assert page.locator("#top_p input, #top_p textarea").first.input_value() == "0.5"
    context.close()


# -- error text -------------------------------------------------------------------------------------

def test_error_text_shows_no_markdown_escapes(page) -> None:
    # a model that rejects temperature and top_p together: the provider refuses before sending
    page.locator("#model input").fill("claude-sonnet-4-6")
    page.locator("#model input").press("Enter")
    fill(page, "temperature", "0.5")
    fill(page, "top_p", "0.5")
    send(page, "Hello")
    wait_done(page)
    last = bot_texts(page)[-1]
    assert "Invalid top_p" in last and "\\" not in last, last
    page.locator("#inspector_tabs label", has_text="Errors").click()
    errors = page.locator("#errors").inner_text()
    assert "Invalid top_p" in errors and "\\" not in errors, errors


# -- backend switching ------------------------------------------------------------------------------

def test_switching_to_the_api_updates_header_banner_models_and_key_hint(page) -> None:
    assert "Offline emulator" in page.locator("#header").inner_text()
    choose(page, "backend", "Anthropic API")
    page.wait_for_function("document.querySelector('#header').innerText.includes('Anthropic API')")
    page.wait_for_function("document.querySelector('#notice').innerText.includes('Anthropic API')")
    assert "offline emulator is selected" not in page.locator("#notice").inner_text()
    page.wait_for_function("document.querySelector('#model input').value !== 'playground-tiny'")
    page.locator("#model input").click()
    options = page.locator("[role=listbox] [role=option]").all_inner_texts()
    assert options and "playground-tiny" not in options, options
    assert any(o.startswith("claude-") for o in options), options
    page.keyboard.press("Escape")
    assert "Paste an Anthropic API key" in page.locator("#api_key").inner_text()
    assert toast_texts(page) == []  # a missing key is a hint at the key box, not a toast


# -- layout -----------------------------------------------------------------------------------------

def test_laptop_layout_shows_header_chat_and_inspector_without_scrolling(page, shot) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    header = page.locator("#header").inner_text()
    assert "Anthropic Playground" in header and "Offline emulator" in header
    for selector in ("#chat", "#prompt", "#send", "#inspector_tabs", "#request"):
        b = box(page, selector)
        assert b["y"] >= 0 and b["y"] + b["height"] <= 900 and b["x"] + b["width"] <= 1440, (selector, b)
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 900 + 2
    # model and sampling open; the rest collapsed, each saying what is set
    assert page.locator("#temperature").is_visible() and page.locator("#max_tokens").is_visible()
    assert page.locator("#thinking").count() == 0 and page.locator("#cache").count() == 0
    assert page.locator("#thinking_section").inner_text().startswith("Thinking · off")
    assert "Prompt caching · off" in page.locator("#caching_section").inner_text()
    assert "Tools · none" in page.locator("#tools_panel").inner_text()
    open_section(page, "thinking_section")
    page.locator("#thinking label", has_text="budget").click()
    page.wait_for_function("document.querySelector('#thinking_section > button').innerText.includes('budget 2048')")
    open_section(page, "caching_section")
    page.locator("#cache label", has_text="whole prompt").click()
    page.wait_for_function("document.querySelector('#caching_section > button').innerText"
                           ".includes('whole prompt, TTL 5m')")
    shot(page)


def test_budget_box_looks_disabled_while_thinking_is_off(page) -> None:
    open_section(page, "thinking_section")
    budget = page.locator("#thinking_budget input")
    assert budget.is_disabled()
    off = float(budget.evaluate("e => getComputedStyle(e).opacity"))
    page.locator("#thinking label", has_text="budget").click()
    page.wait_for_function("!document.querySelector('#thinking_budget input').disabled")
    on = float(budget.evaluate("e => getComputedStyle(e).opacity"))
    assert off < 0.7 and on == 1.0, (off, on)


def test_phone_layout_puts_the_chat_first(browser, app, shot) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(app.url)
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0", timeout=30_000)
    chat, settings = box(page, "#chat"), box(page, "#settings")
    shot(page)
    assert chat["y"] < 300, chat  # right under the header and the tabs
    assert chat["y"] + chat["height"] <= settings["y"], (chat, settings)
    assert chat["x"] >= 0 and chat["x"] + chat["width"] <= 390
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390  # nothing wider than the phone
    context.close()


def test_light_dark_switch_is_remembered(page) -> None:
    dark_at_start = page.evaluate("document.body.classList.contains('dark')")
    page.locator("#theme_toggle").click()
    page.wait_for_function("(was) => document.body.classList.contains('dark') !== was", arg=dark_at_start)
    page.reload()
    page.wait_for_selector("#send")
    page.wait_for_function("(was) => document.body.classList.contains('dark') !== was", arg=dark_at_start)


def test_toasts_do_not_cover_the_top_of_the_chat(page) -> None:
    page.locator("#send").click()  # nothing typed: a warning toast
    wait_toast(page, "Type a message")
    toast, chat = box(page, TOASTS), box(page, "#chat")
    top_of_chat = {"y": chat["y"], "height": 120}
    assert toast["y"] >= top_of_chat["y"] + top_of_chat["height"] or toast["y"] + toast["height"] <= chat["y"], \
        (toast, chat)


def test_compare_output_boxes_end_at_the_same_height(page) -> None:
    tab(page, "Compare")
    page.locator("#compare_prompt textarea").fill("Tell me about the sea")
    fill(page, "cmp0_max_tokens", "4")
    fill(page, "cmp1_max_tokens", "200")
    page.locator("#compare_run").click()
    page.wait_for_function("/columns finished/.test(document.querySelector('#compare_status').innerText)",
                           timeout=60_000)
    a, b = box(page, "#cmp0_output textarea"), box(page, "#cmp1_output textarea")
    long, short = (page.locator(f"#cmp{i}_output textarea").input_value() for i in (1, 0))
    assert len(long) > 3 * len(short)  # the boxes hold texts of very different lengths
    assert abs(a["height"] - b["height"]) < 1 and abs(a["y"] - b["y"]) < 1, (a, b)


# -- the server log ---------------------------------------------------------------------------------

def test_stop_a_refused_value_and_a_closed_tab_log_no_traceback(browser, app) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(app.url)
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0", timeout=30_000)
    fill(page, "max_tokens", "0")
    page.wait_for_function("document.querySelector('#problems').innerText.includes('max_tokens')")
    send(page, "refused")  # (changes nothing on the page; the next Send is not dropped while it ends)
    fill(page, "max_tokens", "4000")
    open_section(page, "offline_options")
    page.locator("#endless input").check()
    send(page, "Tell me a long story")
    page.wait_for_function("!document.querySelector('#stop').disabled")
    page.locator("#stop").dispatch_event("click")  # (a pointer click can wait on a busy renderer here)
    assert "Stopped" in wait_done(page)
    send(page, "Another long story")
    page.wait_for_function("!document.querySelector('#stop').disabled")
    page.wait_for_function("document.querySelector('#chat').innerText.includes('Another long story')")
    context.close()  # the tab goes away mid-stream
    # both interrupted streams reach the emulator as closed connections: one line each
    deadline = time.monotonic() + 15
    while len(re.findall("client closed the connection", app.log())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the log file, within the deadline
    log = app.log()
    assert len(re.findall("client closed the connection", log)) >= 2, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert "ClientConnectionResetError" not in log
