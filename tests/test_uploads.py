"""Attachments through the Files API, from the Playground's send handler to the offline emulator over
real HTTP: with the toggle on the body carries file ids (no base64) and the Request view shows them,
the emulator counts a file id like the same bytes inline, and a file carried again in a later turn is
uploaded once and sent by id even with the toggle off."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from playground import catalog
from playground.backends import OPENAI, Backends, Target
from playground.config import Config
from playground.settings import FIELDS, RunSettings
from playground.ui import inspector
from playground.ui.handlers import Handlers
from playground.ui.session import Session


@pytest.fixture(scope="module")
def handlers():
    backends = Backends(Config(emulator_tps=0))
    yield Handlers(backends)
    backends.close()


@pytest.fixture
def png(tmp_path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    path = tmp_path / "red.png"
    path.write_bytes(out.getvalue())
    return path


def values(**overrides: object) -> list[object]:
    settings = {**RunSettings().to_ui(), "model": catalog.EMULATOR_MODEL, "max_tokens": 16, **overrides}
    return [settings[k] for k in FIELDS]


async def send(handlers: Handlers, session: Session, text: str, files: list[Path], **settings: object) -> dict:
    async for _ in handlers.send(session, {"text": text, "files": [str(f) for f in files]}, "", *values(**settings)):
        pass
    run = session.last_run
    assert run.status == "done", run.error_text
    return run.request.body


async def stored_files(handlers: Handlers) -> int:
    target = handlers.backends.target("offline")
    return len([f async for f in target.provider.list_files(limit=1000, **target.provider_kwargs())])


def sources(message: dict) -> list[dict]:
    return [b["source"] for b in message["content"] if isinstance(b, dict) and b.get("type") in ("image", "document")]


@pytest.mark.timeout(60)
async def test_the_toggle_sends_file_ids_counted_like_inline_bytes(handlers: Handlers, png: Path) -> None:
    before = await stored_files(handlers)
    on = Session()
    body = await send(handlers, on, "What colour is this?", [png], files_api=True)
    (source,) = sources(body["messages"][-1])
    assert source["type"] == "file" and source["file_id"].startswith("file_")
    assert "base64" not in json.dumps(body)
    assert await stored_files(handlers) == before + 1 and on.files.uploads == 1
    request_view = inspector.request_view(on.last_run, "")  # the Request tab
    assert source["file_id"] in request_view and "iVBOR" not in request_view  # the id, never the PNG's base64
    inline = Session()
    inline_body = await send(handlers, inline, "What colour is this?", [png])
    assert sources(inline_body["messages"][-1])[0]["type"] == "base64"
    assert on.last_run.usage.input_tokens == inline.last_run.usage.input_tokens  # the same bytes, counted alike
    # the next turn resends the history: still by id, no second upload
    again = await send(handlers, on, "And its size?", [], files_api=True)
    assert sources(again["messages"][0]) == [source] and on.files.uploads == 1
    assert await stored_files(handlers) == before + 1  # the inline session uploaded nothing


@pytest.mark.timeout(60)
async def test_a_file_reused_across_turns_is_uploaded_once_even_with_the_toggle_off(handlers: Handlers,
                                                                                     png: Path) -> None:
    before = await stored_files(handlers)
    session = Session()
    first = await send(handlers, session, "Look at this", [png])
    assert sources(first["messages"][-1])[0]["type"] == "base64" and session.files.uploads == 0
    second = await send(handlers, session, "What did you see?", [])  # carries turn 1's bytes again
    (by_id,) = sources(second["messages"][0])
    assert by_id["type"] == "file" and "base64" not in json.dumps(second)
    third = await send(handlers, session, "Same picture again", [png])  # the same bytes attached again
    assert sources(third["messages"][0]) == [by_id] and sources(third["messages"][-1]) == [by_id]
    assert session.files.uploads == 1 and await stored_files(handlers) == before + 1


@pytest.mark.timeout(60)
async def test_a_backend_without_files_keeps_the_bytes_inline(png: Path) -> None:
    session = Session()
    target = Target(OPENAI, "http://127.0.0.1:1/v1", "")  # never contacted: it has no Files API
    media = [(png.read_bytes(), "red.png")]
    messages, kwargs = await session.files.apply(target, [{"role": "user", "content": "hi"}], {"media": media},
                                                 always=True)
    assert kwargs["media"] == media and messages == [{"role": "user", "content": "hi"}]
    assert session.files.uploads == 0
