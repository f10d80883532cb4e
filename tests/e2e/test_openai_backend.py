"""The OpenAI-compatible backend, pointed at a separately started emulator's /v1/chat/completions."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest
from app_server import ARTIFACTS, free_port
from ui import choose, fill, request_body, send, wait_done

pytestmark = pytest.mark.browser
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "0"}


@pytest.fixture(scope="module")
def endpoint():
    """``python -m playground.emulator`` on a free port (its OpenAI-compatible routes), until the module ends."""
    port = free_port()
    log = open(ARTIFACTS / "emulator-openai.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "playground.emulator", "--host", "127.0.0.1", "--port", str(port),
                             "--api-key", "sk-endpoint-key-5678"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(300):  # poll until it answers (it starts in well under a second)
            try:
                urllib.request.urlopen(urllib.request.Request(f"{base}/models", headers={
                    "authorization": "Bearer sk-endpoint-key-5678"}), timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("emulator exited") from None
                try:
                    proc.wait(0.05)
                except subprocess.TimeoutExpired:
                    pass
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_openai_compatible_endpoint_streams_a_reply(page, endpoint, shot) -> None:
    choose(page, "backend", "OpenAI-compatible endpoint")
    page.wait_for_selector("#base_url", state="visible")
    fill(page, "api_key", "sk-endpoint-key-5678")
    fill(page, "base_url", endpoint)  # leaving the box lists the endpoint's models
    page.wait_for_function("document.querySelector('#model input').value === 'playground-tiny'")
    fill(page, "max_tokens", "12")
    send(page, "Hello over the OpenAI protocol")
    chat = wait_done(page)
    shot(page)
    assert "stop reason:" in chat and "Error" not in chat
    body = request_body(page)
    assert body["model"] == "playground-tiny" and body["messages"][-1]["content"] == "Hello over the OpenAI protocol"
