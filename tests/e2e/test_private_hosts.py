"""A hosted Space must not let visitors aim the server at its own network.

The app runs with ``PLAYGROUND_ALLOW_PRIVATE_HOSTS=0`` (what ``SPACE_ID`` implies on a Space). A
custom base URL on loopback is refused with a clear message, and the server there never sees a
connection (nor the visitor's key); the offline emulator (the app's own) still works.
"""

from __future__ import annotations

import pytest
from scripted_server import scripted_server
from ui import bot_texts, choose, fill, send, wait_done

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "0", "PLAYGROUND_ALLOW_PRIVATE_HOSTS": "0"}
KEY = "sk-ant-api03-GUARDSECRET-abcdef"


@pytest.fixture(scope="module")
def local_server():
    with scripted_server(key=KEY) as state:
        yield state


HOSTS = ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "10.0.0.1"]


@pytest.mark.timeout(240)  # four sends, and the first test of the module also waits for the app to start
def test_a_private_base_url_is_refused_without_connecting(page, local_server, shot) -> None:
    """Each private host in turn, in one session (one page load, not four): every send is refused
    by name, the page never shows the key, and the server behind them never sees a connection."""
    port = local_server.api_base.rsplit(":", 1)[1].split("/")[0]
    choose(page, "backend", "OpenAI-compatible endpoint")
    page.wait_for_selector("#base_url", state="visible")
    for turn, host in enumerate(HOSTS, start=1):
        fill(page, "base_url", f"http://{host}:{port}/v1")
        fill(page, "model", "ok")
        fill(page, "api_key", KEY)
        send(page, f"reach inside {host}")
        wait_done(page, turns=turn, timeout=60_000)
        last = bot_texts(page)[-1]
        # the refusal names this turn's host, so it is this send's answer, not the one before
        assert "private or loopback" in last and f"refusing {host.strip('[]')}" in last, (host, last)
        assert "Traceback" not in last and "GUARDSECRET" not in page.content(), host
        assert local_server.seen == [], f"the guarded app connected to the private host {host}"
    shot(page)


def test_the_offline_backend_still_works_under_the_guard(page) -> None:
    fill(page, "max_tokens", "10")
    send(page, "hello")
    wait_done(page, timeout=60_000)
    assert "stop reason: max_tokens" in bot_texts(page)[-1]
