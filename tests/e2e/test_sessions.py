"""Two browser sessions share nothing; the API key never shows up in the page or the logs."""

from __future__ import annotations

import pytest
from app_server import free_port
from ui import choose, fill, send, view_text, wait_done

pytestmark = pytest.mark.browser
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "0"}
KEY = "sk-test-PLAYGROUNDSECRET-9f3a"


def _open(browser, app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(app.url)
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
    return context, page


def test_two_browser_contexts_are_isolated(browser, app, shot) -> None:
    ctx_a, a = _open(browser, app)
    ctx_b, b = _open(browser, app)
    try:
        fill(a, "max_tokens", "8")
        send(a, "alpha-only-in-A")
        wait_done(a)
        assert b.locator("#chat [data-testid=user]").count() == 0
        assert view_text(b, "request") == "// no request yet"
        fill(b, "max_tokens", "8")
        send(b, "bravo-only-in-B")
        wait_done(b)
        shot(a, "context-a")
        shot(b, "context-b")
        assert "bravo" not in a.locator("#chat").inner_text() and "bravo" not in view_text(a, "request")
        assert "alpha" not in b.locator("#chat").inner_text() and "alpha" not in view_text(b, "request")
        # B's history holds only B's turn
        assert b.locator("#chat [data-testid=user]").count() == 1
    finally:
        ctx_a.close()
        ctx_b.close()


def test_the_key_never_appears_in_the_page_or_logs(browser, app, shot) -> None:
    context, page = _open(browser, app)
    try:
        choose(page, "backend", "OpenAI-compatible endpoint")
        page.wait_for_selector("#base_url", state="visible")
        fill(page, "base_url", f"http://127.0.0.1:{free_port()}/v1")  # nothing listens there
        fill(page, "model", "some-model")
        fill(page, "api_key", KEY)
        send(page, "hello")
        chat = wait_done(page, timeout=60_000)
        shot(page)
        assert "Could not connect" in chat or "Error" in chat
        html = page.content()
        values = page.evaluate(
            "() => [...document.querySelectorAll('input, textarea')].filter(e => !e.closest('#api_key'))"
            ".map(e => e.value).join('\\n')")
        for where, text in (("html", html), ("values", values), ("log", app.log())):
            assert KEY not in text, where
            assert "PLAYGROUNDSECRET" not in text, where
        request = view_text(page, "request")
        # the request was attempted (and retried) with the key, and the inspector shows it redacted
        assert "/v1/chat/completions" in request
        auth = [line for line in request.splitlines() if line.lower().startswith("authorization:")]
        assert auth and "…" in auth[0] and "PLAYGROUNDSECRET" not in request
    finally:
        context.close()


def test_the_page_needs_no_internet(browser, app) -> None:
    """Every request the page makes goes to the app itself: no CDN fonts, scripts or analytics."""
    context = browser.new_context()
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    try:
        page.goto(app.url)
        page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
        send(page, "hi")
        wait_done(page)
    finally:
        context.close()
    assert hosts == {app.url.split("/")[2]}, hosts
