"""Sweep "Run as a batch (50% price)" in Chromium: against the offline backend with a batch delay (the
progress is seen, the results land in the table, History and the Batches view), and the app killed
mid-batch and started again on the same store and emulator collecting that batch (no second one).

One app process serves the module (the restart test kills it last): its server key and
``ANTHROPIC_BASE_URL`` point the Anthropic API backend at a separate emulator, whose batches outlive
the app; the first test picks the offline backend (the in-process emulator) instead."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest
from app_server import ARTIFACTS, free_port, running_app
from ui import choose, fill, open_section

pytestmark = pytest.mark.browser
_DATA = Path(tempfile.mkdtemp(prefix="sweep-batch-e2e-"))
EMULATOR_KEY = "sk-ant-emulator-e2e-0000"
EMULATOR_BASE = f"http://127.0.0.1:{free_port()}"
APP_ENV = {
    "PLAYGROUND_EMULATOR_BATCH_DELAY_MS": "400",  # offline: 4 requests take about 1.6 s, so progress is seen
    "PLAYGROUND_HISTORY_PATH": str(_DATA / "history.sqlite3"),
    "ANTHROPIC_API_KEY": EMULATOR_KEY,
    "ANTHROPIC_BASE_URL": EMULATOR_BASE,
}


@pytest.fixture(scope="module", autouse=True)
def emulator():
    """``python -m playground.emulator`` at EMULATOR_BASE (before the app), each batch request taking 3 s."""
    log = open(ARTIFACTS / "emulator-sweep-batch.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "playground.emulator", "--port", EMULATOR_BASE.rsplit(":", 1)[1],
                             "--batch-delay-ms", "3000"], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):  # poll until it answers (it starts in about a second)
            try:
                urllib.request.urlopen(urllib.request.Request(f"{EMULATOR_BASE}/v1/models", headers={
                    "x-api-key": EMULATOR_KEY}), timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("emulator exited") from None
                try:
                    proc.wait(0.05)
                except subprocess.TimeoutExpired:
                    pass
        yield EMULATOR_BASE
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def start_batch_sweep(page, prompt: str, values: str, repeats: int) -> str:
    """Fill the Sweep form with "Run as a batch" on, Estimate, Confirm; the estimate's text."""
    open_tab(page, "Sweep")
    page.locator("#sweep_prompt textarea").fill(prompt)
    fill(page, "sweep_values1", values)
    fill(page, "sweep_repeats", str(repeats))
    page.locator("#sweep_batch input").check()
    page.locator("#sweep_estimate").click()
    page.wait_for_function("() => /requests|⚠/.test(document.querySelector('#sweep_plan').innerText)")
    plan = page.locator("#sweep_plan").inner_text()
    page.locator("#sweep_confirm").click()
    return plan


def wait_in_progress(page) -> str:
    page.wait_for_function("() => (document.querySelector('#sweep_batch_status')?.innerText || '')"
                           ".includes('in_progress')", timeout=30_000)
    return page.locator("#sweep_batch_status").inner_text()


def wait_collected(page, runs: int, timeout: float = 60_000) -> str:
    page.wait_for_function("(n) => /^Batch msgbatch_\\w+ ended\\. Done: /.test(document.querySelector("
                           "'#sweep_plan').innerText) && document.querySelector('#sweep_plan').innerText"
                           ".includes(`Done: ${n}/${n}`)", arg=runs, timeout=timeout)
    return page.locator("#sweep_plan").inner_text()


@pytest.mark.timeout(240)  # includes the module app's start-up on a loaded machine
def test_a_batch_sweep_shows_progress_and_lands_in_the_table_history_and_batches_view(page, shot) -> None:
    choose(page, "backend", "Offline emulator (no key needed)")  # the model picked stays (the emulator has it)
    plan = start_batch_sweep(page, "Write about the tides", "0, 1", 2)
    assert "4 requests" in plan and "at batch prices (50% of list)" in plan
    status = wait_in_progress(page)
    assert status.startswith("Batch msgbatch_") and "processing" in status and "s elapsed" in status
    shot(page, "in-progress")
    head = wait_collected(page, 4)
    batch_id = head.split()[1]  # the Markdown shows the id as code: no backticks in the text
    assert "0 failed, 0 cancelled" in head and "Cost at batch prices" in head
    assert "4 succeeded" in page.locator("#sweep_progress").inner_text()
    assert page.locator("#sweep_table [role=grid]").get_attribute("aria-rowcount") == "5"
    assert page.locator("#sweep_table").inner_text().count("done") >= 4
    page.wait_for_selector("#sweep_plot_output_tokens canvas, #sweep_plot_output_tokens svg")

    # the Batches view lists it as a collected sweep of this app
    open_section(page, "sweep_batches_section")
    page.locator("#batches_refresh").click()
    page.wait_for_function("(id) => document.querySelector('#batches_table')?.innerText.includes(id)", arg=batch_id)
    listed = page.locator("#batches_table").inner_text()
    assert "ended" in listed and "collected" in listed  # the only batch on this app's emulator
    assert "1 most recent batch on Offline emulator" in page.locator("#batches_status").inner_text()
    shot(page)

    # History has one row per cell, found by the batch id
    open_tab(page, "History")
    page.locator("#history_query textarea, #history_query input").first.fill(batch_id)
    page.locator("#history_refresh").click()
    page.wait_for_function("() => document.querySelector('#history_table [role=grid]')"
                           "?.getAttribute('aria-rowcount') === '5'", timeout=20_000)
    assert page.locator("#history_table").inner_text().count("sweep") >= 4


def batches_on(base: str) -> list[dict]:
    request = urllib.request.Request(f"{base}/v1/messages/batches", headers={
        "x-api-key": EMULATOR_KEY, "anthropic-version": "2023-06-01"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        return json.loads(resp.read())["data"]


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("#send")
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
    return context, page


@pytest.mark.slow
@pytest.mark.timeout(240)  # a second app start-up on a loaded machine
def test_an_app_restarted_mid_batch_collects_the_same_batch(browser, app, emulator, shot) -> None:
    # the Anthropic API backend (the app's default with a server key), pointed at the separate emulator
    context, page = open_page(browser, app.url)
    start_batch_sweep(page, "Write about the harbour", "0, 1", 1)
    wait_in_progress(page)
    app.process.kill()  # the app dies while the batch runs (this module's last use of it)
    app.process.wait(10)
    context.close()
    [created] = batches_on(emulator)
    # the dead app had stored the batch and collected nothing of it
    from playground.store import RunStore
    from playground.store.batches import BatchLedger

    history = RunStore(APP_ENV["PLAYGROUND_HISTORY_PATH"])
    assert [p.batch_id for p in BatchLedger(history).pending()] == [created["id"]]
    assert history.search(created["id"]) == []
    history.close()

    with running_app("sweep-batch-restarted", APP_ENV) as second:
        context, page = open_page(browser, second.url)
        open_tab(page, "Sweep")  # opening the tab picks the stored batch up
        page.wait_for_function("(id) => document.querySelector('#sweep_plan').innerText.includes(id)",
                               arg=created["id"])
        head = wait_collected(page, 2)
        shot(page, "after-restart")
        assert head.startswith(f"Batch {created['id']} ended.")
        assert page.locator("#sweep_table [role=grid]").get_attribute("aria-rowcount") == "3"
        context.close()
    assert [b["id"] for b in batches_on(emulator)] == [created["id"]]  # no second batch
