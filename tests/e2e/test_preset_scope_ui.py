"""Presets on a public deployment (``PLAYGROUND_HISTORY_SCOPE=session``): a preset visitor A saves
is listed for A, and a second visitor (another browser context: another Gradio session) sees its
name nowhere: not in the preset list, not in the page, not in /config, not when trying to load it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from ui import fill

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
_DATA = Path(tempfile.mkdtemp(prefix="preset-scope-e2e-"))
APP_ENV = {
    "PLAYGROUND_HISTORY_PATH": str(_DATA / "history.sqlite3"),
    "PLAYGROUND_PRESETS_PATH": str(_DATA / "presets.json"),
    "PLAYGROUND_HISTORY_SCOPE": "session",
}
PRESET = "zephyrquill-plan"
SECRET_SYSTEM = "You are the zephyrquill assistant"


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def preset_options(page) -> list[str]:
    """The preset dropdown's options (opened, read, closed)."""
    page.locator("#preset_list input").click()
    try:  # the list opens a moment after the click; an empty dropdown shows no option at all
        page.wait_for_selector("li[role=option]", timeout=3_000)
    except PlaywrightTimeout:
        return []
    options = page.locator("li[role=option]")
    labels = [options.nth(i).get_attribute("aria-label") or "" for i in range(options.count())]
    page.keyboard.press("Escape")
    return labels


def test_a_second_session_never_sees_the_first_sessions_presets(page, browser, app, shot) -> None:
    fill(page, "system", SECRET_SYSTEM)
    open_tab(page, "Export / Share")
    fill(page, "preset_name", PRESET)
    page.locator("#preset_save").click()
    page.wait_for_function("(name) => document.querySelector('#preset_list input').value === name", arg=PRESET)
    assert PRESET in preset_options(page)
    shot(page, "a")

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = context.new_page()
        other.set_default_timeout(20_000)
        other.goto(app.url)
        other.wait_for_selector("#send")
        open_tab(other, "Export / Share")
        assert PRESET not in other.content()
        config = other.request.get(app.url + "config").text()
        assert PRESET not in config and SECRET_SYSTEM not in config
        # B saves its own preset: B's list holds only that one
        fill(other, "preset_name", "bravo-plan")
        other.locator("#preset_save").click()
        other.wait_for_function("() => document.querySelector('#preset_list input').value === 'bravo-plan'")
        assert preset_options(other) == ["bravo-plan"]
        assert PRESET not in other.content() and SECRET_SYSTEM not in other.content()
        shot(other, "b")
    finally:
        context.close()
    # A's preset is still stored, under A's session only: nothing in the shared presets
    saved = json.loads((_DATA / "presets.json").read_text())
    assert PRESET not in saved and [PRESET] in [list(b) for b in saved["#sessions"].values()]
