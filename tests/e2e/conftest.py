"""Browser fixtures: one app process per test module, one Chromium per module, a fresh context per test.

Writing a browser test: take ``page`` (a fresh context on this module's app, sections opened) and
``shot``; set ``APP_ENV`` for the module's app. Each ``page`` costs a page load (seconds on a loaded
machine), so walk neighbouring cases in one page where the session carries nothing between them.
``bash scripts/test`` runs the files on two pytest-xdist workers, a whole file per worker: use free
ports and temporary directories, never state another file leaves.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from app_server import ARTIFACTS, AppProcess, running_app  # noqa: E402
from ui import open_sections  # noqa: E402

CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest) -> Iterator[AppProcess]:
    """``python app.py`` for this module; a module may set ``APP_ENV = {...}`` (e.g. emulator pacing)."""
    env = getattr(request.module, "APP_ENV", {})
    # a loaded machine can need longer than the default to import gradio and start
    timeout = float(os.environ.get("PLAYGROUND_APP_START_TIMEOUT", "60"))
    with running_app(request.module.__name__.rsplit(".", 1)[-1], env, timeout=timeout) as proc:
        yield proc


# Module scope, not session: Playwright's sync API keeps an event loop running on
# the main thread while it is open, and pytest-asyncio refuses to start a loop
# under it — so the browser must be gone before the next (async) test module.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (scripts/test installs Debian's chromium)")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app: AppProcess, request: pytest.FixtureRequest):
    """A fresh browser context (its own Gradio session) on the loaded app."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(app.url)
    page.wait_for_selector("#send")
    # the model list arrives from the backend after load
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
    # ...and is applied: a model picked before it lands would be reset by it
    page.wait_for_selector("#model.models-loaded", state="attached", timeout=60_000)
    if getattr(request.module, "OPEN_SECTIONS", True):  # a layout test sees the page as a user first does
        open_sections(page)
    yield page
    context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest):
    """``shot(page, "name")`` saves tests/artifacts/<test>-<name>.png (look at them). A full-page shot
    costs about a second on a loaded machine and asserts nothing, so ``PLAYGROUND_SHOTS=0`` (what
    scripts/test sets for the full run) skips them."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    enabled = os.environ.get("PLAYGROUND_SHOTS", "1") != "0"

    def take(page, name: str = "final") -> Path | None:
        if not enabled:
            return None
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
