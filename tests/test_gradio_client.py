"""The `/chat` endpoint through gradio_client, against `python app.py` with the offline emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "e2e"))
from app_server import running_app  # noqa: E402


@pytest.fixture(scope="module")
def app():
    with running_app("gradio-client", {"PLAYGROUND_EMULATOR_TPS": "40"}) as proc:
        yield proc


@pytest.mark.timeout(90)
def test_chat_endpoint_streams_the_reply(app) -> None:
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    job = client.submit("Tell me about the moon", "", "", 60, api_name="/chat")
    final = job.result(timeout=60)
    updates = job.outputs()
    assert isinstance(final, str) and len(final.split()) > 3
    assert updates[-1] == final
    assert len(updates) >= 2, "the reply should arrive in several updates"
    for earlier, later in zip(updates, updates[1:], strict=False):
        assert later.startswith(earlier)  # each update extends the text


@pytest.mark.timeout(60)
def test_chat_endpoint_rejects_an_empty_message_clearly(app) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app.url, verbose=False)
    with pytest.raises(AppError, match="message is empty"):
        client.predict("  ", api_name="/chat")
