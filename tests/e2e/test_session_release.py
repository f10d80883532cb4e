"""A real page closes and its session is released: the app runs in this process (so the test can look at
Gradio's per-session store), Chromium opens the page, the page closes, and the session's entry goes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from app_server import free_port

from playground.ui import session_cleanup

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, str]]:
    from playground.ui.app import build_app, launch_options

    monkeypatch.setattr(session_cleanup, "GRACE_S", 0.5)
    demo = build_app()
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        **launch_options())
    try:
        yield demo, f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_closing_the_page_releases_its_session(browser, live_app):
    demo, url = live_app
    sessions = demo.state_holder.session_data
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#send")
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")  # load events ran
    wait_for(lambda: len(sessions) == 1)
    [session_hash] = list(sessions)
    keep = browser.new_context().new_page()  # a second page stays open: its session must stay
    keep.goto(url)
    keep.wait_for_selector("#send")
    wait_for(lambda: len(sessions) == 2)
    context.close()
    wait_for(lambda: session_hash not in sessions)
    assert len(sessions) == 1
    keep.context.close()
    wait_for(lambda: not sessions)
