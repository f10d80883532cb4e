"""One settings object behind every tab, in Chromium against `python app.py` (offline emulator, no key):
each test is a trap the tabs fell into when each kept its own copy of the settings."""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from pathlib import Path

import pytest
from ui import bot_texts, fill, send, wait_done

from playground.store import RunStore

pytestmark = pytest.mark.browser
_DATA = Path(tempfile.mkdtemp(prefix="one-settings-e2e-"))
APP_ENV = {
    "PLAYGROUND_EMULATOR_TPS": "0",
    "PLAYGROUND_HISTORY_PATH": str(_DATA / "history.sqlite3"),
    "PLAYGROUND_PRESETS_PATH": str(_DATA / "presets.json"),
}
TOOLS = [{"name": "get_weather", "description": "Weather for a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def choose(page, elem_id: str, label: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.locator(f'[role=listbox] [role=option][aria-label="{label}"]').first.click()
    page.wait_for_function("([id, v]) => document.querySelector(`#${id} input`).value === v", arg=[elem_id, label])


def value(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} input, #{elem_id} textarea").first.input_value()


def stored_runs() -> list[dict]:
    """Every stored row, oldest first, with ``request_body`` as the store reads it back (the database
    keeps a prompt once: the stored body refers to the run's messages)."""
    with sqlite3.connect(_DATA / "history.sqlite3") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM runs ORDER BY id")]
    runs = RunStore(_DATA / "history.sqlite3")
    try:
        for row in rows:
            row["request_body"] = runs.get(row["id"]).request_body
    finally:
        runs.close()
    return rows


def test_the_effort_trap_no_longer_catches_a_send(page, shot) -> None:
    choose(page, "model", "claude-sonnet-4-6")
    choose(page, "effort", "low")
    choose(page, "model", "claude-haiku-4-5")
    # the value the new model does not take is cleared (not kept hidden and sent), and the user is told
    page.wait_for_function("() => document.querySelector('#effort input').disabled")
    assert value(page, "effort") in ("", "default (not sent)")
    assert "Cleared for Claude Haiku 4.5: effort" in page.locator("#sampling_note").inner_text()
    send(page, "Hello there")
    wait_done(page)
    shot(page, "haiku-reply")
    assert "stop reason" in bot_texts(page)[-1] and "Invalid" not in page.locator("#chat").inner_text()
    # back on a model with effort: enabled again, and the Haiku hint is gone
    choose(page, "model", "claude-sonnet-4-6")
    page.wait_for_function("() => !document.querySelector('#effort input').disabled")
    assert "Haiku" not in page.locator("#effort").inner_text()


def test_a_history_rerun_changes_only_what_was_changed(page, shot) -> None:
    fill(page, "system", "Answer about the weather.")
    page.locator("#cache label", has_text="system prompt").click()
    page.locator("#tools_panel").click()
    editor = page.locator("#tools .cm-content")
    editor.click()
    editor.fill(json.dumps(TOOLS))
    fill(page, "temperature", "0.5")
    send(page, "What is the weather in Paris and in Rome? Use get_weather.")
    wait_done(page)
    assert "get_weather" in page.locator("#chat").inner_text()
    # the playground runs no tools: what you type in each call's box is its result
    calls = len(re.findall(r"get_weather \(toolu_\w+\)", page.locator("#chat").inner_text()))  # one per call
    assert calls >= 1, page.locator("#chat").inner_text()
    page.wait_for_selector(f"#tool_result_text_{calls - 1} textarea", state="visible")  # a box for each call
    for i in range(calls):
        page.locator(f"#tool_result_text_{i} textarea").fill("sunny")
    page.locator("#send").click()
    wait_done(page, turns=2)
    first = stored_runs()[-1]
    assert first["request_body"]["messages"][-1]["content"][0]["type"] == "tool_result"

    open_tab(page, "History")
    page.locator("#history_refresh").click()
    page.wait_for_function("(id) => document.querySelector('#history_table')?.innerText.includes(String(id))",
                           arg=first["id"])
    # newest first: the first row is the tool-result turn
    text = page.locator("#history_table").inner_text()
    ids = [int(m) for m in re.findall(r"^\s*(\d+)\s", text, flags=re.M)]
    assert ids and ids[0] == first["id"] and ids == sorted(ids, reverse=True), text[:500]
    fill(page, "history_run_id", str(first["id"]))
    page.locator("#history_open").click()
    page.wait_for_function("() => document.querySelector('#history_temperature input, #history_temperature textarea')"
                           ".value === '0.5'")
    fill(page, "history_temperature", "0.2")
    page.locator("#history_rerun").click()
    page.wait_for_function("() => /Run #\\d+ \\(rerun/.test(document.querySelector('#history_rerun_status').innerText)")
    shot(page, "rerun")
    changes = page.locator("#history_changes").inner_text()
    rows = [line for line in changes.splitlines() if line.strip() and "before" not in line]
    assert len(rows) == 1 and rows[0].split()[0] == "temperature", changes
    rerun = stored_runs()[-1]
    assert rerun["parent_id"] == first["id"]
    old_body, new_body = first["request_body"], rerun["request_body"]
    assert new_body["temperature"] == 0.2 and old_body["temperature"] == 0.5
    assert {k: v for k, v in new_body.items() if k != "temperature"} == \
        {k: v for k, v in old_body.items() if k != "temperature"}
    assert new_body["tools"] == TOOLS and new_body["system"][0]["cache_control"] == {"type": "ephemeral"}


def test_a_compare_column_on_a_model_without_temperature_runs(page, shot) -> None:
    open_tab(page, "Compare")
    assert value(page, "cmp1_temperature") == "1"
    choose(page, "cmp1_model", "claude-opus-5-5")
    page.wait_for_function("() => document.querySelector('#cmp1_temperature input, #cmp1_temperature textarea')"
                           ".disabled")
    assert value(page, "cmp1_temperature") == ""
    page.locator("#compare_prompt textarea").fill("Tell me about the sea")
    fill(page, "cmp0_max_tokens", "40")
    fill(page, "cmp1_max_tokens", "40")
    page.locator("#compare_run").click()
    page.wait_for_function("() => document.querySelector('#compare_status').innerText.includes('2/2 columns finished')")
    shot(page)
    assert "claude-opus-5-5** · done" in page.locator("#cmp1_stats").inner_text() or \
        "claude-opus-5-5 · done" in page.locator("#cmp1_stats").inner_text()
    assert len(value(page, "cmp1_output")) > 10


def test_a_sweep_inherits_what_it_shows_and_fits_each_model(page, shot) -> None:
    fill(page, "top_k", "5")  # the swept Opus model takes no top_k
    open_tab(page, "Sweep")
    page.wait_for_function("() => document.querySelector('#sweep_inherits').innerText.includes('top_k')")
    page.locator("#sweep_prompt textarea").fill("Say something about cats")
    choose(page, "sweep_param1", "model")
    fill(page, "sweep_values1", "tiny, claude-opus-5-5")
    fill(page, "sweep_repeats", "1")
    page.locator("#sweep_estimate").click()
    page.wait_for_function("() => /requests|⚠/.test(document.querySelector('#sweep_plan').innerText)")
    plan = page.locator("#sweep_plan").inner_text()
    assert "⚠" not in plan and "top_k not sent" in plan, plan
    page.locator("#sweep_confirm").click()
    page.wait_for_function("() => document.querySelector('#sweep_plan').innerText.startsWith('Done')",
                           timeout=60_000)
    shot(page)
    assert "2/2 runs" in page.locator("#sweep_plan").inner_text()
    assert "0 failed" in page.locator("#sweep_plan").inner_text()
    bodies = {r["model"]: r["request_body"] for r in stored_runs()[-2:]}
    assert bodies["playground-tiny"]["top_k"] == 5 and "top_k" not in bodies["claude-opus-5-5"]
