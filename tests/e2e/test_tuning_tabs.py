"""The tuning tabs (Compare, Sweep, History, Export / Share) in Chromium against `python app.py`
with the offline emulator (no key)."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path
from urllib.parse import urljoin

import pytest
from ui import fill, open_sections, request_body, send, wait_done

pytestmark = pytest.mark.browser
_DATA = Path(tempfile.mkdtemp(prefix="tuning-e2e-"))
APP_ENV = {
    "PLAYGROUND_EMULATOR_TPS": "150",  # paced, so two columns are seen streaming at the same time
    "PLAYGROUND_HISTORY_PATH": str(_DATA / "history.sqlite3"),
    "PLAYGROUND_PRESETS_PATH": str(_DATA / "presets.json"),
    "PLAYGROUND_SPEND_CAP_USD": "0.50",
}


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def choose(page, elem_id: str, label: str) -> None:
    """Pick a Dropdown option by its exact label (options are role=option with an aria-label)."""
    page.locator(f"#{elem_id} input").click()
    page.locator(f'[role=listbox] [role=option][aria-label="{label}"]').first.click()
    page.wait_for_function("([id, v]) => document.querySelector(`#${id} input`).value === v", arg=[elem_id, label])


def plan_sweep(page, prompt: str, axis1: tuple[str, str], axis2: tuple[str, str] | None, repeats: int) -> str:
    """Fill the Sweep form, press Estimate and return the plan text once it is shown."""
    open_tab(page, "Sweep")
    page.locator("#sweep_prompt textarea").fill(prompt)
    if axis1[0] != "temperature":
        choose(page, "sweep_param1", axis1[0])
    fill(page, "sweep_values1", axis1[1])
    if axis2 is not None:
        choose(page, "sweep_param2", axis2[0])
        fill(page, "sweep_values2", axis2[1])
    fill(page, "sweep_repeats", str(repeats))
    page.locator("#sweep_estimate").click()
    page.wait_for_function("() => /requests|refused|⚠/.test(document.querySelector('#sweep_plan').innerText)")
    return page.locator("#sweep_plan").inner_text()


def value(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} input, #{elem_id} textarea").first.input_value()


def test_compare_two_configs_stream_side_by_side(page, shot) -> None:
    open_tab(page, "Compare")
    page.locator("#compare_prompt textarea").fill("Tell me about the sea and the mountains")
    fill(page, "cmp0_max_tokens", "120")
    fill(page, "cmp1_max_tokens", "120")
    page.locator("#compare_run").click()
    # Both columns have text while the compare is still running: they stream concurrently.
    page.wait_for_function("""() => {
        const a = document.querySelector('#cmp0_output textarea').value;
        const b = document.querySelector('#cmp1_output textarea').value;
        const status = document.querySelector('#compare_status').innerText;
        return a.length > 0 && b.length > 0 && status.includes('0/2');
    }""")
    shot(page, "streaming")
    page.wait_for_function("() => document.querySelector('#compare_status').innerText.includes('2/2 columns finished')")
    shot(page)
    for i in (0, 1):
        stats = page.locator(f"#cmp{i}_stats").inner_text()
        assert "done" in stats and "TTFT" in stats and "tok/s" in stats and "out tokens" in stats, stats
        assert len(value(page, f"cmp{i}_output")) > 20
    assert "temperature" not in page.locator("#cmp0_stats").inner_text()  # stats, not settings
    # One click copies a column's settings back to the chat.
    page.locator("#cmp1_copy").click()
    open_tab(page, "Playground")
    page.wait_for_function("() => document.querySelector('#max_tokens input').value === '120'")
    assert value(page, "temperature") == "1"


def test_compare_stop_one_column_keeps_the_other(page, shot) -> None:
    page.locator("#endless input").check()  # offline option: answers run to max_tokens
    open_tab(page, "Compare")
    page.locator("#compare_prompt textarea").fill("Tell me about rivers")
    fill(page, "cmp0_max_tokens", "2000")  # ~13 s at 150 tok/s: it is stopped long before
    fill(page, "cmp1_max_tokens", "60")
    assert page.locator("#compare_stop_all").is_disabled() and page.locator("#cmp0_stop_btn").is_disabled()
    page.locator("#compare_run").click()
    page.wait_for_function("() => document.querySelector('#cmp0_output textarea').value.length > 20")
    # the short column finishes first: its Stop turns off while the long one's stays on
    page.wait_for_function("() => document.querySelector('#cmp1_stop_btn').disabled")
    assert page.locator("#cmp0_stop_btn").is_enabled() and page.locator("#compare_stop_all").is_enabled()
    page.locator("#cmp0_stop_btn").click()
    # the status says what happened: one column finished, one stopped (not "2/2 finished")
    page.wait_for_function("() => document.querySelector('#compare_status').innerText"
                           ".includes('1/2 columns finished, 1 stopped')")
    page.wait_for_function("() => document.querySelector('#compare_stop_all').disabled")  # nothing left to stop
    shot(page)
    assert "cancelled" in page.locator("#cmp0_stats").inner_text()
    stats1 = page.locator("#cmp1_stats").inner_text()
    assert "done" in stats1 and "60 out tokens" in stats1, stats1
    assert 20 < len(value(page, "cmp0_output")) < 2000 * 3  # partial output kept


def test_presets_and_export_of_current_settings(page, shot) -> None:
    fill(page, "temperature", "0.15")
    fill(page, "max_tokens", "33")
    fill(page, "system", "Be calm.")
    page.locator("#cache label", has_text="system prompt").click()
    open_tab(page, "Export / Share")
    fill(page, "preset_name", "calm")
    page.locator("#preset_save").click()
    page.wait_for_function("() => document.querySelector('#preset_list input').value === 'calm'")
    open_tab(page, "Playground")
    fill(page, "temperature", "0.9")
    page.locator("#cache label", has_text="off").click()
    open_tab(page, "Export / Share")
    page.locator("#preset_load").click()
    open_tab(page, "Playground")
    page.wait_for_function("() => document.querySelector('#temperature textarea, #temperature input')"
                           "?.value === '0.15'")
    assert page.locator("#cache input[value=system]").is_checked()  # prompt caching is part of the preset
    page.locator("#cache label", has_text="off").click()  # the export below is of plain settings
    open_tab(page, "Export / Share")
    page.locator("#export_prompt textarea").fill("Hello there")
    page.locator("#export_btn").click()
    page.wait_for_function("() => document.querySelector('#export_json').innerText.includes('0.15')")
    shot(page)
    curl = page.locator("#export_curl").inner_text()
    assert "curl http://127.0.0.1:" in curl and "$ANTHROPIC_API_KEY" in curl and '"max_tokens": 33' in curl


def test_sweep_3x2_with_repeats_gives_table_and_plots(page, shot) -> None:
    plan = plan_sweep(page, "Write about the forest", ("temperature", "0, 0.5, 1"), ("max_tokens", "8, 40"), 2)
    assert "12 requests" in plan and "at most $0.0000" in plan, plan  # the offline model is free
    page.locator("#sweep_confirm").click()
    page.wait_for_function("() => document.querySelector('#sweep_plan').innerText.startsWith('Done: 12/12')",
                           timeout=60_000)
    assert "0 failed, 0 cancelled" in page.locator("#sweep_plan").inner_text()
    assert "12/12" in page.locator("#sweep_progress").inner_text()
    # the table is virtualised: its grid reports the row count (header + 12)
    assert page.locator("#sweep_table [role=grid]").get_attribute("aria-rowcount") == "13"
    table_text = page.locator("#sweep_table").inner_text()
    assert "max_tokens" in table_text and "output_tokens" in table_text
    # every plot rendered (Vega draws a canvas or an svg)
    page.wait_for_selector("#sweep_plot_output_tokens canvas, #sweep_plot_output_tokens svg")
    page.wait_for_selector("#sweep_plot_similarity canvas, #sweep_plot_similarity svg")
    href = page.locator("#sweep_csv a").first.get_attribute("href")
    rows = list(csv.DictReader(io.StringIO(page.request.get(urljoin(page.url, href)).text())))
    assert len(rows) == 12 and {r["max_tokens"] for r in rows} == {"8", "40"} and all(r["output"] for r in rows)
    page.locator("#sweep_plot_output_tokens").scroll_into_view_if_needed()
    shot(page)
    assert page.locator("#sweep_summary [role=grid]").get_attribute("aria-rowcount") == "7"


def test_sweep_cancel_stops_the_rest_and_keeps_what_finished(page, shot) -> None:
    page.locator("#endless input").check()  # offline option: answers run to max_tokens
    fill(page, "max_tokens", "300")  # 2 s per request at 150 tok/s, one at a time
    open_tab(page, "Sweep")
    page.locator("#sweep_concurrency input[type=number]").fill("1")
    page.locator("#sweep_concurrency input[type=number]").press("Enter")
    plan = plan_sweep(page, "Write about the desert", ("temperature", "0, 0.5, 1"), None, 2)
    assert "6 requests" in plan, plan
    assert page.locator("#sweep_cancel").is_disabled()  # nothing to cancel yet
    page.locator("#sweep_confirm").click()
    page.wait_for_function("() => document.querySelector('#sweep_plan').innerText.startsWith('Running')")
    page.locator("#sweep_cancel").click()  # waits for the button to be enabled by the run
    page.wait_for_function("() => document.querySelector('#sweep_plan').innerText.startsWith('Cancelled')")
    page.wait_for_function("() => document.querySelector('#sweep_cancel').disabled")  # the run is over
    shot(page)
    text = page.locator("#sweep_plan").inner_text()
    assert re.search(r"6/6 runs in [\d.]+ s, 0 failed, [1-6] cancelled", text), text
    assert page.locator("#sweep_table [role=grid]").get_attribute("aria-rowcount") == "7"
    assert "cancelled" in page.locator("#sweep_table").inner_text()


def test_spend_cap_refuses_an_oversized_sweep(page, shot) -> None:
    text = plan_sweep(page, "Write a novel", ("model", "claude-opus-4-6, claude-sonnet-4-6"),
                      ("max_tokens", "64000, 128000"), 3)
    shot(page)
    assert re.search(r"could cost up to \$\d+\.\d+", text) and "cap is $0.50" in text, text
    assert not page.locator("#sweep_confirm").is_visible()
    assert page.locator("#sweep_table [role=grid]").get_attribute("aria-rowcount") in (None, "0", "1")


def test_history_reopen_and_rerun_with_changed_temperature_shows_a_diff(page, shot) -> None:
    fill(page, "temperature", "0")
    fill(page, "max_tokens", "40")
    send(page, "Tell me a story about a lighthouse keeper")
    wait_done(page)
    open_tab(page, "History")
    # opening the tab lists the runs: this module's compares and sweeps, and the chat turn just sent
    page.wait_for_function("() => document.querySelector('#history_table')?.innerText.includes('chat')")
    page.locator("#history_query textarea, #history_query input").first.fill("lighthouse keeper")
    page.locator("#history_refresh").click()
    page.wait_for_function("() => document.querySelector('#history_table [role=grid]')"
                           ".getAttribute('aria-rowcount') === '2'")  # header + the one matching run
    # open it by clicking its row (the grid also keeps a hidden copy of the cells for measuring)
    page.locator("#history_table").get_by_text("chat", exact=True).filter(visible=True).first.click()
    page.wait_for_function("() => document.querySelector('#history_prompt textarea').value.includes('lighthouse')")
    assert value(page, "history_temperature") == "0"
    fill(page, "history_temperature", "1")
    page.locator("#history_rerun").click()
    page.wait_for_function("() => document.querySelector('#history_rerun_status').innerText.includes('rerun of')",
                           timeout=30_000)
    changes = page.locator("#history_changes").inner_text()
    assert "temperature" in changes and "0" in changes and "1" in changes, changes
    old, new = value(page, "history_old"), value(page, "history_new")
    assert old and new and old != new
    diff = page.locator("#history_diff")
    assert diff.inner_text().strip()
    shot(page)
    # the diff marks removed (red) and added (green) words
    colours = page.evaluate("""() => [...document.querySelectorAll('#history_diff .token.highlighted')]
                               .map(e => e.style.backgroundColor)""")
    assert "rgb(254, 226, 226)" in colours and "rgb(220, 252, 231)" in colours, colours
    # and the edited settings go back to the chat in one click
    page.locator("#history_to_chat").click()
    open_tab(page, "Playground")
    page.wait_for_function("() => document.querySelector('#temperature textarea, #temperature input')?.value === '1'")
    assert page.locator("#prompt textarea").input_value() == "Tell me a story about a lighthouse keeper"


def test_share_link_carries_tools_caching_and_adaptive_thinking(page, browser, app) -> None:
    page.locator("#thinking label", has_text="adaptive").click()
    page.locator("#cache label", has_text="whole prompt").click()
    page.locator("#tools_panel").get_by_text("Tools").first.click()
    page.locator("#tools .cm-content").click()
    page.keyboard.insert_text('[{"name": "get_weather", "input_schema": {"type": "object"}}]')
    choose(page, "tool_choice", "none")
    open_tab(page, "Export / Share")
    page.locator("#share_btn").click()
    page.wait_for_function("() => document.querySelector('#share_link textarea, #share_link input')?.value"
                           "?.startsWith('http')")
    link = value(page, "share_link")
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(20_000)
        other.goto(link)
        other.wait_for_selector("#send")
        open_sections(other)  # a fresh page has its settings sections collapsed
        other.wait_for_function("() => document.querySelector('#cache input[value=auto]')?.checked")
        assert other.locator("#thinking input[value=adaptive]").is_checked()
        other.locator("#tools_panel").get_by_text("Tools").first.click()
        assert "get_weather" in other.locator("#tools .cm-content").inner_text()
        assert value(other, "tool_choice") == "none"
        # and a run from the restored page sends all of it
        send(other, "What is the weather in Paris?")
        wait_done(other)
        body = request_body(other)
        assert body["tools"][0]["name"] == "get_weather" and body["tool_choice"] == {"type": "none"}
        assert body["thinking"]["type"] == "adaptive" and body["cache_control"]["type"] == "ephemeral"
    finally:
        fresh.close()


def test_share_link_restores_settings_in_a_fresh_context(page, browser, app, shot) -> None:
    choose(page, "model", "claude-haiku-4-5")
    fill(page, "temperature", "0.3")
    fill(page, "max_tokens", "77")
    fill(page, "stop_sequences", "END")
    open_tab(page, "Export / Share")
    page.locator("#export_prompt textarea").fill("Share this prompt")
    page.locator("#share_prompt input").check()
    page.locator("#share_btn").click()
    page.wait_for_function("() => document.querySelector('#share_link textarea, #share_link input')?.value"
                           "?.startsWith('http')")
    link = value(page, "share_link")
    assert "temperature=0.3" in link and "prompt=Share" in link and "key" not in link.lower()
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(20_000)
        other.goto(link)
        other.wait_for_function("() => document.querySelector('#temperature textarea, #temperature input')"
                                "?.value === '0.3'")
        other.wait_for_function("() => document.querySelector('#model input')?.value === 'claude-haiku-4-5'")
        assert value(other, "max_tokens") == "77"
        assert value(other, "stop_sequences") == "END"
        assert other.locator("#prompt textarea").input_value() == "Share this prompt"
        open_tab(other, "Compare")
        assert other.locator("#compare_prompt textarea").input_value() == "Share this prompt"
        shot(other)
    finally:
        fresh.close()
