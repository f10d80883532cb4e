"""The server's own keys (``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``) never leave for a host a visitor typed
in, and a key typed for one backend is not carried over to another."""

from __future__ import annotations

import pytest
from scripted_server import scripted_server
from ui import bot_texts, choose, fill, send, wait_done

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
SERVER_KEY = "sk-ant-api03-SERVERSIDESECRET-0000"
VISITOR_KEY = "sk-ant-api03-VISITORSECRET-1111"
SERVER_OPENAI_KEY = "sk-proj-SERVEROPENAISECRET-2222"
APP_ENV = {"ANTHROPIC_API_KEY": SERVER_KEY, "OPENAI_API_KEY": SERVER_OPENAI_KEY,
           "PLAYGROUND_ALLOW_PRIVATE_HOSTS": "1", "PLAYGROUND_TIMEOUT": "3"}


@pytest.fixture(scope="module")
def endpoint():
    with scripted_server() as state:
        yield state


def test_keys_go_only_where_the_visitor_sent_them(page, app, endpoint, shot) -> None:
    # The app has a server key, so it starts on the real API; the visitor types a key there first.
    fill(page, "api_key", VISITOR_KEY)
    choose(page, "backend", "OpenAI-compatible endpoint")
    page.wait_for_selector("#base_url", state="visible")
    assert page.locator("#api_key input").input_value() == "", "switching backends keeps the typed key"
    fill(page, "base_url", endpoint.api_base)
    page.wait_for_function("document.querySelector('#model input').value === 'ok'")
    send(page, "hello")
    wait_done(page, timeout=60_000)
    shot(page)
    assert "stop reason:" in bot_texts(page)[-1]
    auths = endpoint.authorizations()
    assert auths, "the endpoint was called"
    assert auths == [""] * len(auths), auths  # the model list and the Send: no key at all
    assert "SERVERSIDESECRET" not in app.log() and "SERVERSIDESECRET" not in page.content()
    assert "SERVEROPENAISECRET" not in app.log() and "SERVEROPENAISECRET" not in page.content()
