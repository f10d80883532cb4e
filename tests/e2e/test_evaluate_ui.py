"""The Evaluate tab in Chromium against `python app.py` with the offline emulator (unpaced): paste a
spec with inline cases, run it, read the summary and the matrix, grade a cell, find the run in History;
the same spec run as a Message Batch, its progress watched."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from app_server import running_app

pytestmark = pytest.mark.browser
_DATA = Path(tempfile.mkdtemp(prefix="evaluate-e2e-"))
APP_ENV = {
    "PLAYGROUND_EMULATOR_TPS": "0",
    "PLAYGROUND_EMULATOR_BATCH_DELAY_MS": "150",  # a Message Batch takes ~2 s here, so its progress shows
    "PLAYGROUND_HISTORY_PATH": str(_DATA / "history.sqlite3"),
    "PLAYGROUND_PRESETS_PATH": str(_DATA / "presets.json"),
}
SPEC = """[eval]
name = "cities-e2e"
repeats = 2
seed = 3
max_cost_usd = 1.00

[defaults]
model = "claude-haiku-4-5"
max_tokens = 48

[[variants]]
id = "short"
prompt = "Name the capital of {{country}}."

[[variants]]
id = "wordy"
prompt = "Tell me about {{country}} and its capital."
temperature = 0.4

[[cases]]
_id = "fr"
country = "France"

[[cases]]
_id = "jp"
country = "Japan"

[[cases]]
_id = "pe"
country = "Peru"

[[asserts]]
type = "max_words"
value = 30

[[asserts]]
type = "human"
"""


@pytest.fixture(scope="module")
def app():
    """The conftest's app, with more time to start: the Evaluate tab makes the page bigger, and the
    machine these run on is shared."""
    with running_app("test_evaluate_ui", APP_ENV, timeout=240) as proc:
        yield proc


@pytest.fixture
def page(browser, app):
    """A fresh browser context on the loaded app (the conftest's, with longer waits)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app.url)
    page.wait_for_selector("#send")
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
    yield page
    context.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def text_of(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id}").inner_text()


def test_paste_run_read_grade_and_find_in_history(page, shot) -> None:
    open_tab(page, "Evaluate")
    box = page.locator("#eval_spec textarea")
    box.fill(SPEC)
    page.locator("#eval_check_btn").click()
    page.wait_for_function("() => document.querySelector('#eval_check').innerText.includes('cities-e2e')")
    check = text_of(page, "eval_check")
    # 2 variants x 3 cases x 2 repeats, nothing cached yet, against the spec's cap
    assert "12 attempts, 12 calls (0 cached)" in check and "at most $" in check and "cap $1.00" in check, check
    shot(page, "checked")

    page.locator("#eval_run").click()
    page.wait_for_function("() => document.querySelector('#eval_status').innerText.startsWith('Done:')",
                           timeout=60_000)
    status = text_of(page, "eval_status")
    assert "12/12 attempts of cities-e2e" in status and "Kept in History as run #" in status, status
    assert "12/12 attempts finished" in text_of(page, "eval_progress")
    summary = text_of(page, "eval_summary")
    assert "short" in summary and "wordy" in summary and "(baseline)" in summary and "3 × 2" in summary, summary
    assert page.locator("#eval_plot_intervals svg circle").count() == 2
    assert page.locator("#eval_plot_cost svg circle").count() == 2
    matrix = page.locator("#eval_matrix")
    for case in ("fr", "jp", "pe"):
        assert matrix.get_by_text(case, exact=True).count() >= 1
    # the human assertion is not graded yet: every repeat that scored shows its marks
    assert "✓" in matrix.inner_text() or "✗" in matrix.inner_text()
    shot(page, "ran")

    # a cell of the challenger: its repeats, reasons and the diff against the baseline
    cells = matrix.get_by_text(re.compile(r"^\d\.\d\d [✓✗⚠?·]+$")).filter(visible=True)
    assert cells.count() == 6  # 3 cases x 2 variants, each "score marks"
    cells.nth(1).click()  # row fr, column wordy
    page.wait_for_function("() => document.querySelector('#eval_cell').innerText.includes('× wordy')")
    cell = text_of(page, "eval_cell")
    assert "Repeat 1" in cell and "Repeat 2" in cell and "max_words" in cell and "waiting for a human grade" in cell
    assert page.locator("#eval_diff .token").count() > 0
    page.locator("#eval_grade_comment textarea, #eval_grade_comment input").first.fill("clear and short")
    page.locator("#eval_grade_4").click()
    page.wait_for_function("() => document.querySelector('#eval_grade_note').innerText.includes('Graded repeat 1')")
    assert "4/5" in text_of(page, "eval_grade_note")
    page.wait_for_function("() => document.querySelector('#eval_cell').innerText.includes('clear and short')")
    shot(page, "graded")

    open_tab(page, "History")
    page.locator("#history_query textarea, #history_query input").first.fill("cities-e2e")
    page.locator("#history_refresh").click()
    page.wait_for_function("() => document.querySelector('#history_table').innerText.includes('Eval cities-e2e')")
    table = text_of(page, "history_table")
    assert "eval" in table and "claude-haiku-4-5" in table
    shot(page, "history")


def test_a_bad_spec_is_named_where_the_user_looks(page) -> None:
    open_tab(page, "Evaluate")
    page.locator("#eval_spec textarea").fill(SPEC.replace('type = "max_words"', 'type = "max_wrds"'))
    page.locator("#eval_run").click()
    page.wait_for_function("() => document.querySelector('#eval_status').innerText.includes('max_wrds')")
    assert "asserts[0].type: unknown assertion type 'max_wrds'" in text_of(page, "eval_status")


def test_import_a_csv_into_the_spec_as_inline_cases(page, shot) -> None:
    data = _DATA / "rivers.csv"
    data.write_text("_id,country,_ideal\nnl,Netherlands,Amsterdam\nza,South Africa,Pretoria\n", encoding="utf-8")
    open_tab(page, "Evaluate")
    page.locator("#eval_spec textarea").fill(SPEC)
    page.get_by_text("Dataset", exact=True).click()
    page.locator("#eval_dataset input[type=file]").set_input_files(str(data))
    page.wait_for_function("() => document.querySelector('#eval_form_note').innerText.includes('Imported 2 case(s)')")
    spec = page.locator("#eval_spec textarea").input_value()
    assert 'country = "South Africa"' in spec and 'country = "France"' not in spec  # the file's cases replace the old
    assert '[[asserts]]\ntype = "human"' in spec  # the rest of the spec is kept as typed
    page.wait_for_function("() => document.querySelector('#eval_grid').innerText.includes('Pretoria')")
    page.wait_for_function("() => document.querySelector('#eval_check').innerText.includes('8 attempts')")
    shot(page, "imported")


def test_run_as_a_batch_shows_its_progress_and_the_results(page) -> None:
    open_tab(page, "Evaluate")
    page.locator("#eval_spec textarea").fill(SPEC.replace('"cities-e2e"', '"cities-batch"').replace("seed = 3",
                                                                                                      "seed = 11"))
    page.locator("#eval_batch input").check()
    page.wait_for_function("() => document.querySelector('#eval_check').innerText.includes('cities-batch as a batch')")
    check = text_of(page, "eval_check")
    assert "as a batch (50% price): 12 attempts, 12 calls (0 cached)" in check, check
    page.locator("#eval_run").click()
    page.wait_for_function("() => document.querySelector('#eval_batch_progress')?.innerText.includes('in_progress')")
    page.wait_for_function("() => document.querySelector('#eval_status').innerText.startsWith('Done:')",
                           timeout=60_000)
    status = text_of(page, "eval_status")
    assert "12/12 attempts of cities-batch as a batch (50% price)" in status and "Kept in History" in status, status
    progress = text_of(page, "eval_progress")
    assert "12/12 attempts finished" in progress and "ended: 0 processing, 12 succeeded" in progress, progress
    summary = text_of(page, "eval_summary")
    assert "short" in summary and "wordy" in summary and "3 × 2" in summary, summary
