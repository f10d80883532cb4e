"""Keys never shown: an upstream that echoes keys (a gateway, a proxy) in its error body, in a
response header and inside a streamed reply. Every key the server knows (its ANTHROPIC_API_KEY,
OPENAI_API_KEY, HF_TOKEN) and the visitor's key are masked in every view: the chat, the
Errors, Events, Request and Response views, the stored history, exports and share links."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from playground import store
from playground.providers import Anthropic
from playground.secrets import Redactor, StreamMasker, redact
from playground.settings import RunSettings
from playground.tuning import exports, share
from playground.tuning.record import record_turn
from playground.ui import inspector
from playground.ui.render import chat_messages
from playground.ui.runner import RunRequest, stream_run
from playground.ui.session import history_message

SERVER_ANTHROPIC = "sk-ant-api03-SERVERKEY-aaaaaaaaaaaa"
SERVER_OPENAI = "sk-proj-SERVEROPENAI-bbbbbbbbbbbb"
SERVER_HF = "hf_SERVERHFTOKEN_cccccccccccc"
VISITOR = "sk-ant-api03-VISITORKEY-dddddddddddd"
KEYS = (SERVER_ANTHROPIC, SERVER_OPENAI, SERVER_HF, VISITOR)
MARKERS = ("SERVERKEY", "SERVEROPENAI", "SERVERHFTOKEN", "VISITORKEY")


def _sse(*events: dict[str, Any]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def _delta(text: str) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}


def _echo_stream() -> list[bytes]:
    """A reply whose text holds every key, each split across two deltas (and two network chunks)."""
    start = {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
             "model": "claude-sonnet-4-5", "content": [], "stop_reason": None,
             "usage": {"input_tokens": 3, "output_tokens": 0}}}
    chunks = [_sse(start, {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})]
    for key in KEYS:
        half = len(key) // 2
        chunks += [_sse(_delta(f"echo {key[:half]}")), _sse(_delta(f"{key[half:]} done. "))]
    chunks.append(_sse({"type": "content_block_stop", "index": 0},
                       {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": 9}}, {"type": "message_stop"}))
    return chunks


@pytest.fixture
async def echo() -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        echoed = {"x-echo-visitor": request.headers.get("x-api-key", ""), "x-echo-server": SERVER_ANTHROPIC}
        if not body.get("stream"):
            error = {"type": "error", "error": {"type": "authentication_error",
                     "message": f"invalid x-api-key {request.headers.get('x-api-key')} (server has {SERVER_OPENAI})"},
                     "debug": {"keys": list(KEYS), "nested": [{"hf": SERVER_HF}]}}
            return web.json_response(error, status=401, headers=echoed)
        response = web.StreamResponse(headers={**echoed, "content-type": "text/event-stream"})
        await response.prepare(request)
        for chunk in _echo_stream():
            await response.write(chunk)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    await runner.cleanup()


@pytest.fixture
def server_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SERVER_ANTHROPIC)
    monkeypatch.setenv("OPENAI_API_KEY", SERVER_OPENAI)
    monkeypatch.setenv("HF_TOKEN", SERVER_HF)


def _assert_masked(where: str, text: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{marker} shown in {where}: {text[:400]}"


@pytest.mark.parametrize("stream", [True, False])
async def test_an_echoing_upstream_shows_no_key_in_any_view(echo: str, server_keys: None, stream: bool) -> None:
    kwargs = {"api_key": VISITOR, "api_base": echo, "stream": stream, "max_tokens": 50, "raw_events": 100,
              "max_retries": 0, "system": "be brief"}
    messages = [{"role": "user", "content": "hello"}]
    request = RunRequest(Anthropic, "claude-sonnet-4-5", messages, kwargs)
    async for progress in stream_run(request):
        view = progress.run
    if stream:
        assert view.status == "done"
        assert view.text.count("done.") == 4 and view.text.count("echo …") == 4  # each key masked, text kept
        assert f"echo {redact(VISITOR)} done." in view.text
    else:
        assert view.status == "error" and "401" in view.error_text
        assert redact(VISITOR) in view.error_text
    views = {
        "chat": view.text + json.dumps(chat_messages(view)) + json.dumps(history_message(view, True)),
        "errors": inspector.errors_view(view) + (view.error_text or ""),
        "events": inspector.events_view(view),
        "request": inspector.request_view(view),
        "response": inspector.headers_view(view),
    }
    assert views["events"] and views["response"].startswith("HTTP ")
    for where, text in views.items():
        _assert_masked(where, text)

    settings = RunSettings(backend="anthropic", model="claude-sonnet-4-5", system="be brief", max_tokens=50,
                           stream=stream)
    run_id = record_turn(view, messages, settings, backend=echo, api_key=VISITOR, owner="visitor-a")
    assert run_id is not None
    run = store.get_store().get(run_id)
    assert run is not None
    _assert_masked("history", json.dumps(dataclasses.asdict(run), default=str))
    _assert_masked("exports", json.dumps(exports.export_all(run.request_body or {"model": "m", "messages": []})))


def test_share_links_mask_the_servers_keys(server_keys: None) -> None:
    settings = RunSettings(model="claude-sonnet-4-5", system=f"use {SERVER_ANTHROPIC}")
    query = share.to_query(settings, prompt=f"my token is {SERVER_HF}", include_prompt=True)
    _assert_masked("share link", query)
    assert "claude-sonnet-4-5" in query


def test_a_key_split_across_pieces_is_masked_and_other_text_is_not_held() -> None:
    masker = StreamMasker(Redactor([SERVER_ANTHROPIC]))
    assert masker.feed("plain words ") == "plain words "  # nothing that could start a key: passes at once
    shown = masker.feed("key: sk-ant-ap")
    assert shown == "key: "  # the tail could be the key's start: held back
    shown += masker.feed("i03-SERVERKEY-aaaaaaaaaaaa and ")
    shown += masker.feed("sk") + masker.flush()  # ends as a prefix, but the stream ended: released
    assert shown == f"key: {redact(SERVER_ANTHROPIC)} and sk"


def test_the_redactor_masks_deep_values_and_keys() -> None:
    deep: Any = SERVER_OPENAI
    for _ in range(5000):
        deep = {"k": [deep]}
    out = Redactor([SERVER_OPENAI]).value({SERVER_OPENAI: deep})
    (key, leaf), = out.items()
    assert key == redact(SERVER_OPENAI)
    for _ in range(5000):
        leaf = leaf["k"][0]
    assert leaf == redact(SERVER_OPENAI)
