"""History scope on a public deployment: with ``PLAYGROUND_HISTORY_SCOPE=session`` a second visitor
(another browser context: another Gradio session) cannot list, search, open or export the first
visitor's runs, and another's run id reads exactly like one that does not exist."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from ui import fill, send, wait_done

pytestmark = pytest.mark.browser
_DATA = Path(tempfile.mkdtemp(prefix="scope-e2e-"))
APP_ENV = {
    "PLAYGROUND_HISTORY_PATH": str(_DATA / "history.sqlite3"),
    "PLAYGROUND_HISTORY_SCOPE": "session",
}
SECRET_WORD = "quuxberrylantern"  # A's prompt: must never reach B's page


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def value(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} input, #{elem_id} textarea").first.input_value()


def search_history(page, text: str, rows: int) -> str:
    """Search History and wait until the table shows ``rows`` runs; its text."""
    page.locator("#history_query textarea, #history_query input").first.fill(text)
    page.locator("#history_refresh").click()
    page.wait_for_function("(n) => document.querySelector('#history_table [role=grid]')"
                           "?.getAttribute('aria-rowcount') === String(n + 1)", arg=rows)  # + the header row
    return page.locator("#history_table").inner_text()


def open_run(page, run_id: str) -> str:
    """Type a run id into History's box, press Open; the detail view's text once it shows this id's answer
    (the run's JSON, or the "no run" line)."""
    fill(page, "history_run_id", run_id)
    page.locator("#history_open").click()
    page.wait_for_function("(id) => { const t = document.querySelector('#history_detail').innerText;"
                           " return t.includes(`No run ${id} `) || t.includes(`\"id\": ${id},`); }", arg=run_id)
    return page.locator("#history_detail").inner_text()


def export_run(page, run_id: str) -> tuple[str, str]:
    """Export / Share with "A run from History": (status text, JSON body text) once either changes."""
    open_tab(page, "Export / Share")
    page.locator("#export_source").get_by_text("A run from History").click()
    fill(page, "export_run_id", run_id)
    page.locator("#export_btn").click()
    # the status box shows Gradio's progress timer while the export runs: wait for an outcome instead
    page.wait_for_function("() => document.querySelector('#export_status').innerText.includes('No run')"
                           " || document.querySelector('#export_json').innerText.includes('messages')")
    return page.locator("#export_status").inner_text(), page.locator("#export_json").inner_text()


def test_a_second_session_cannot_see_or_open_the_first_sessions_runs(page, browser, app, shot) -> None:
    # A: one chat turn with a unique word; it is in A's own History and A can export it
    fill(page, "max_tokens", "30")
    send(page, f"Remember the word {SECRET_WORD} please")
    wait_done(page)
    open_tab(page, "History")
    assert "only this browser session's runs" in page.locator("#history_notice").inner_text()
    table = search_history(page, SECRET_WORD, 1)
    assert "chat" in table
    page.locator("#history_table").get_by_text("chat", exact=True).filter(visible=True).first.click()
    page.wait_for_function("(w) => document.querySelector('#history_prompt textarea').value.includes(w)",
                           arg=SECRET_WORD)
    a_id = value(page, "history_run_id")
    assert a_id.isdigit()
    assert "owner" not in page.locator("#history_detail").inner_text()  # the owner id is never shown
    status, body = export_run(page, a_id)
    assert SECRET_WORD in body and "No run" not in status
    shot(page, "a")

    # B: a second browser context is a second session with its own (empty) history
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = context.new_page()
        other.set_default_timeout(20_000)
        other.goto(app.url)
        other.wait_for_selector("#send")
        other.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
        fill(other, "max_tokens", "20")
        send(other, "Say something about teapots")
        wait_done(other)
        open_tab(other, "History")
        # B lists exactly one run (its own); a search for A's word finds nothing
        assert "chat" in search_history(other, "", 1)
        table = search_history(other, SECRET_WORD, 0)
        assert SECRET_WORD not in table
        # opening A's id says exactly what opening an unused id says
        shown = open_run(other, a_id)
        missing = open_run(other, str(int(a_id) + 1000))
        assert f"No run {a_id} in this session's history." in shown, shown
        assert re.sub(r"\d+", "N", shown) == re.sub(r"\d+", "N", missing)
        assert SECRET_WORD not in shown and SECRET_WORD not in value(other, "history_prompt")
        # Rerun with A's id is refused the same way (and sends nothing)
        fill(other, "history_run_id", a_id)
        other.locator("#history_rerun").click()
        other.wait_for_function("() => document.querySelector('#history_rerun_status').innerText.includes('No run')")
        assert f"No run {a_id} in this session's history." in other.locator("#history_rerun_status").inner_text()
        shot(other, "b-history")
        # Export / Share: "A run from History" with A's id fails the same way
        status, body = export_run(other, a_id)
        assert f"No run {a_id} in this session's history." in status and SECRET_WORD not in body
        shot(other, "b-export")
        assert SECRET_WORD not in other.content()
    finally:
        context.close()
