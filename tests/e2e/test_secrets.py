"""A visitor's key goes to the backend they chose and nowhere else.

A whole session runs with a recognizable fake key against a key-checking OpenAI-compatible server
(scripted_server.py): successful turns, a failing turn, the inspector opened. Then the key is
searched for in the page HTML and field values, the inspector, every response the app sent to the
browser (Gradio's API and queue streams), the app's stdout/stderr, the run store (SQLite) and
Gradio's upload/cache directory: it must be found nowhere unredacted. A second browser context
cannot use the first one's key.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from scripted_server import scripted_server
from ui import QUEUE_COPY_JS, answer_text, bot_texts, choose, fill, open_tab, send, view_text, wait_done

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
KEY = "sk-ant-api03-HARDENINGSECRET-0123456789abcdefXYZ"
MARK = "HARDENINGSECRET"  # any unredacted fragment long enough to identify the key
DATA = Path(tempfile.mkdtemp(prefix="playground-secrets-"))
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "0", "PLAYGROUND_HISTORY_PATH": str(DATA / "history.sqlite3"),
           "GRADIO_TEMP_DIR": str(DATA / "gradio")}


@pytest.fixture(scope="module")
def keyed():
    with scripted_server(key=KEY) as state:
        yield state


def _open(browser, app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    bodies: list[str] = []

    def keep(response) -> None:
        # Every response from the app to this page (HTML, config, API answers, queue streams).
        if response.url.startswith(app.url):
            try:
                bodies.append(response.url + "\n" + response.text())
            except Exception:  # noqa: BLE001 - a body the browser discarded (e.g. a redirect)
                bodies.append(response.url)

    page.on("requestfinished", lambda request: keep(request.response()) if request.response() else None)
    # The queue's event stream is one long response per page, finished only when no event is pending: the
    # page itself keeps a copy of everything it receives on it (read back before the page closes).
    page.add_init_script(QUEUE_COPY_JS)
    page.goto(app.url)
    page.wait_for_selector("#send")
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
    return context, page, bodies


def _use_keyed_endpoint(page, base: str, key: str | None) -> None:
    choose(page, "backend", "OpenAI-compatible endpoint")
    page.wait_for_selector("#base_url", state="visible")
    fill(page, "base_url", base)
    page.wait_for_function("document.querySelector('#model input').value === 'ok'")
    choose(page, "model", "needs-key")
    if key:
        fill(page, "api_key", key)


def _sqlite_text(path: Path) -> str:
    """Every value in every table of the run store, as text (plus the raw file bytes)."""
    out = [path.read_bytes().decode("latin-1")]
    with sqlite3.connect(path) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            out.extend(repr(row) for row in db.execute(f'SELECT * FROM "{table}"'))  # noqa: S608 - table names from the db
    return "\n".join(out)


def test_a_full_session_leaves_the_key_nowhere(browser, app, keyed, shot) -> None:
    context, page, bodies = _open(browser, app)
    try:
        _use_keyed_endpoint(page, keyed.api_base, KEY)
        send(page, "hello")
        wait_done(page, timeout=60_000)
        assert "All good here." in answer_text(page), bot_texts(page)
        page.locator("#stream input").uncheck()
        send(page, "and again, not streamed")
        wait_done(page, turns=2, timeout=60_000)
        choose(page, "model", "bad-request")  # an error turn too: errors must not carry the key either
        send(page, "now fail")
        wait_done(page, turns=3, timeout=60_000)
        assert "400" in bot_texts(page)[-1]
        inspector = []
        for tab in ("Request", "Response headers", "Usage", "Timing", "Events", "Errors"):
            open_tab(page, tab)
            inspector.append(page.locator("#inspector").inner_text())
        inspector += [view_text(page, "request"), view_text(page, "events"), view_text(page, "headers")]
        shot(page)
        html = page.content()
        values = page.evaluate(
            "() => [...document.querySelectorAll('input, textarea')].filter(e => !e.closest('#api_key'))"
            ".map(e => e.value).join('\\n')")
        storage = page.evaluate("() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
        streamed = page.evaluate("window.__queue_text()")
    finally:
        context.close()

    # The key really was used, on the backend the user chose, and only there.
    auths = keyed.authorizations()
    assert f"Bearer {KEY}" in auths
    assert "Authorization: Bearer" in inspector[-3] or "authorization:" in inspector[-3].lower()

    gradio_files = "\n".join(p.read_bytes().decode("latin-1") for p in (DATA / "gradio").rglob("*") if p.is_file())
    store = DATA / "history.sqlite3"
    assert store.exists(), "the run store recorded the session (else this test proves nothing about it)"
    # the captured responses include the streamed answers (so the search below covers what the app sent;
    # an answer arrives as its first words, then the rest)
    bodies.append(streamed)
    assert "All good" in streamed and "400" in streamed, "the queue stream was not captured"
    places = {"html": html, "field values": values, "browser storage": storage, "inspector": "\n".join(inspector),
              "API responses": "\n".join(bodies), "app log": app.log(), "run store": _sqlite_text(store),
              "gradio temp files": gradio_files}
    for where, text in places.items():
        assert MARK not in text, f"the key appears unredacted in the {where}"
    # the key's tail may show redacted (sk-ant-…XYZ) but never its middle
    assert "0123456789abcdef" not in "\n".join(places.values())


def test_a_key_typed_in_one_context_is_not_usable_from_another(browser, app, keyed) -> None:
    ctx_a, page_a, _ = _open(browser, app)
    ctx_b, page_b, bodies_b = _open(browser, app)
    try:
        _use_keyed_endpoint(page_a, keyed.api_base, KEY)
        send(page_a, "hello from A")
        wait_done(page_a, timeout=60_000)
        assert "All good here." in answer_text(page_a)
        before = len(keyed.seen)
        _use_keyed_endpoint(page_b, keyed.api_base, None)  # B picks the same endpoint, types no key
        send(page_b, "hello from B")
        wait_done(page_b, timeout=60_000)
        last_b = bot_texts(page_b)[-1]
        assert "401" in last_b and "check your API key" in last_b
        b_auths = [s["headers"].get("Authorization", "") for s in keyed.seen[before:]
                   if s["path"].endswith("/chat/completions")]
        assert b_auths and all(KEY not in a for a in b_auths), "B's requests carried A's key"
        assert MARK not in page_b.content() and MARK not in "\n".join(bodies_b)
    finally:
        ctx_a.close()
        ctx_b.close()
