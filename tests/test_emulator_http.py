"""The emulator on the wire, with a plain aiohttp client: framing, headers, errors, faults, pacing."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time

import aiohttp
import anthropic
import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator, start_in_thread
from playground.emulator.server import MAX_REQUEST_BYTES

pytestmark = pytest.mark.timeout(60)

HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}
BODY = {"model": EMULATOR_MODEL, "max_tokens": 20, "messages": [{"role": "user", "content": "Tell me about Dinah"}]}


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, emu: Emulator, body: dict, headers: dict | None = None,
               path: str = "/v1/messages") -> tuple[int, dict, dict]:
    async with http.post(emu.base_url + path, json=body, headers=headers or HEADERS) as resp:
        return resp.status, {k.lower(): v for k, v in resp.headers.items()}, await resp.json(content_type=None)


def parse_sse(raw: str) -> list[tuple[str, dict]]:
    """Strict parse: every event is exactly ``event:`` + ``data:`` + a blank line."""
    assert raw.endswith("\n\n")
    events = []
    for chunk in raw[:-2].split("\n\n"):
        lines = chunk.split("\n")
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: "), chunk
        name, data = lines[0][7:], json.loads(lines[1][6:])
        assert data["type"] == name
        events.append((name, data))
    return events


async def test_stream_framing_and_event_order(http: aiohttp.ClientSession, emu: Emulator) -> None:
    async with http.post(emu.base_url + "/v1/messages", json={**BODY, "stream": True}, headers=HEADERS) as resp:
        assert resp.status == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["request-id"].startswith("req_")
        raw = await resp.text()
    events = parse_sse(raw)
    names = [n for n, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[3:-3]) == {"content_block_delta"}
    start = events[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["usage"]["input_tokens"] > 0
    delta = events[-2][1]
    assert delta["usage"]["output_tokens"] == len(names) - 6  # one token per text delta


async def test_non_streaming_body_shape(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, headers, body = await post(http, emu, BODY)
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert set(body) == {"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"}
    assert set(body["usage"]) >= {"input_tokens", "output_tokens", "cache_creation_input_tokens",
                                  "cache_read_input_tokens", "service_tier"}


@pytest.mark.parametrize("version", ["2023-06-01", "2026-10-21", "2030-01-01"])
async def test_accepted_versions(http: aiohttp.ClientSession, emu: Emulator, version: str) -> None:
    # Sampling parameters per version: tests/test_emulator_api_version.py.
    status, _, body = await post(http, emu, BODY, {**HEADERS, "anthropic-version": version})
    assert status == 200, body


@pytest.mark.parametrize(("headers", "status", "kind", "message"), [
    ({"x-api-key": "k"}, 400, "invalid_request_error", "anthropic-version: header is required"),
    ({"x-api-key": "k", "anthropic-version": "yesterday"}, 400, "invalid_request_error", "not a valid version"),
    ({"x-api-key": "k", "anthropic-version": "2023-01-01"}, 400, "invalid_request_error", "not a valid version"),
    ({"anthropic-version": "2023-06-01"}, 401, "authentication_error", "x-api-key header is required"),
    ({"authorization": "Basic abc", "anthropic-version": "2023-06-01"}, 401, "authentication_error", "required"),
])
async def test_header_errors_in_the_real_shape(http: aiohttp.ClientSession, emu: Emulator, headers: dict,
                                               status: int, kind: str, message: str) -> None:
    got, resp_headers, body = await post(http, emu, BODY, headers)
    assert got == status
    assert body["type"] == "error" and body["error"]["type"] == kind and message in body["error"]["message"]
    assert body["request_id"] == resp_headers["request-id"]


async def test_bearer_auth_is_accepted(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, _, _ = await post(http, emu, BODY, {"authorization": "Bearer sk-x", "anthropic-version": "2026-10-21"})
    assert status == 200


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"max_tokens": 5, "messages": BODY["messages"]}, 400, "model: Field required"),
    ({"model": EMULATOR_MODEL, "messages": BODY["messages"]}, 400, "max_tokens: Field required"),
    ({"model": EMULATOR_MODEL, "max_tokens": 5}, 400, "messages: Field required"),
    ({**BODY, "max_tokens": 100_000}, 400, "100000 > 64000, which is the maximum allowed number of output tokens"),
    ({**BODY, "max_tokens": "ten"}, 400, "max_tokens: Input should be a valid integer"),
    ({**BODY, "model": "gpt-4"}, 404, "model: gpt-4"),
    ({**BODY, "stop_sequences": [""]}, 400, "stop_sequences: each stop sequence must contain non-whitespace"),
    ({**BODY, "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_2", "content": "x"}]}]},
     400, "unexpected `tool_use_id` found in `tool_result` blocks: toolu_2"),
    ({**BODY, "thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2000,
      "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Well"}]},
     400, "a final `assistant` message must start with a thinking block"),
])
async def test_body_validation(http: aiohttp.ClientSession, emu: Emulator, body: dict, status: int,
                               message: str) -> None:
    got, _, answer = await post(http, emu, body)
    assert got == status and message in answer["error"]["message"], answer


async def test_oversized_body_is_413() -> None:
    assert MAX_REQUEST_BYTES == 32 * 1024 * 1024  # the real limit by default
    async with Emulator(max_request_bytes=4096) as emu, aiohttp.ClientSession() as http:
        big = {**BODY, "messages": [{"role": "user", "content": "word " * 2000}]}
        status, _, body = await post(http, emu, big)
    assert status == 413 and body["error"]["type"] == "request_too_large"


async def test_media_limits(http: aiohttp.ClientSession, emu: Emulator) -> None:
    import pypdf

    huge = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024)).decode()
    content = [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": huge}},
               {"type": "text", "text": "hi"}]
    status, _, body = await post(http, emu, {**BODY, "messages": [{"role": "user", "content": content}]})
    assert status == 400
    assert body["error"]["message"].startswith("messages.0.content.0.image.source.base64: image exceeds 5 MB maximum")
    writer = pypdf.PdfWriter()
    for _ in range(101):
        writer.add_blank_page(width=10, height=10)
    buf = io.BytesIO()
    writer.write(buf)
    doc = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                          "data": base64.b64encode(buf.getvalue()).decode()}}
    status, _, body = await post(http, emu, {**BODY, "messages": [{"role": "user", "content": [doc]}]})
    assert status == 400 and body["error"]["message"] == "A maximum of 100 PDF pages may be provided."


async def test_ratelimit_headers_count_down(http: aiohttp.ClientSession, emu: Emulator) -> None:
    seen = []
    for _ in range(3):
        _, headers, _ = await post(http, emu, BODY)
        seen.append((int(headers["anthropic-ratelimit-requests-remaining"]),
                     int(headers["anthropic-ratelimit-tokens-remaining"])))
        assert headers["anthropic-ratelimit-requests-reset"].endswith("Z")
        assert int(headers["anthropic-ratelimit-input-tokens-limit"]) > 0
    assert seen[0][0] > seen[1][0] > seen[2][0]
    assert seen[0][1] > seen[1][1] > seen[2][1]


async def test_count_tokens_has_its_own_body(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, _, body = await post(http, emu, BODY, path="/v1/messages/count_tokens")
    assert status == 400 and body["error"]["message"] == "max_tokens: Extra inputs are not permitted"
    small = {"model": EMULATOR_MODEL, "messages": BODY["messages"], "system": "Be brief."}
    status, _, body = await post(http, emu, small, path="/v1/messages/count_tokens")
    assert status == 200 and body["input_tokens"] == 3 + 3 + 4 + 3  # request + message + text + system


async def test_unknown_fault_is_refused(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, _, body = await post(http, emu, BODY, {**HEADERS, "x-emulator-fault": "meteor"})
    assert status == 400 and "unknown fault 'meteor'" in body["error"]["message"]


async def test_fail_once_fails_only_the_first_attempt(http: aiohttp.ClientSession, emu: Emulator) -> None:
    headers = {**HEADERS, "x-emulator-fault": "fail_once_rate_limit"}
    first = await post(http, emu, BODY, headers)
    second = await post(http, emu, BODY, headers)
    other = await post(http, emu, {**BODY, "max_tokens": 21}, headers)  # a different request fails once too
    assert (first[0], second[0], other[0]) == (429, 200, 429)
    assert first[1]["retry-after"] == "1"


async def test_server_wide_fault_spares_the_models_endpoint() -> None:
    async with Emulator(fault="overloaded") as emu, aiohttp.ClientSession() as http:
        status, _, body = await post(http, emu, BODY)
        assert status == 529 and body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
        async with http.get(emu.base_url + "/v1/models", headers=HEADERS) as resp:
            assert resp.status == 200


async def test_non_streaming_stream_faults(http: aiohttp.ClientSession, emu: Emulator) -> None:
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.post(emu.base_url + "/v1/messages", json=BODY,
                             headers={**HEADERS, "x-emulator-fault": "truncate"}) as resp:
            await resp.read()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(http, emu, BODY, {**HEADERS, "x-emulator-fault": "disconnect"})
    status, _, body = await post(http, emu, BODY, {**HEADERS, "x-emulator-fault": "mid_stream_error"})
    assert status == 500 and body["error"]["type"] == "api_error"


async def test_mid_stream_error_event(http: aiohttp.ClientSession, emu: Emulator) -> None:
    async with http.post(emu.base_url + "/v1/messages", json={**BODY, "stream": True},
                         headers={**HEADERS, "x-emulator-fault": "mid_stream_error", "x-emulator-no-eos": "1"}) as r:
        events = parse_sse(await r.text())
    assert [n for n, _ in events].count("content_block_delta") == 3
    assert events[-1][0] == "error" and events[-1][1]["error"]["type"] == "overloaded_error"


async def test_slow_fault_and_pacing_really_wait(http: aiohttp.ClientSession) -> None:
    async with Emulator(tokens_per_second=40, latency_ms=100) as emu:
        started = time.perf_counter()
        async with http.post(emu.base_url + "/v1/messages", json={**BODY, "max_tokens": 8, "stream": True},
                             headers={**HEADERS, "x-emulator-no-eos": "1"}) as resp:
            await resp.read()
        assert time.perf_counter() - started >= 0.1 + 7 / 40
    async with Emulator() as emu:
        started = time.perf_counter()
        async with http.post(emu.base_url + "/v1/messages", json={**BODY, "max_tokens": 3, "stream": True},
                             headers={**HEADERS, "x-emulator-fault": "slow", "x-emulator-pause-ms": "150"}) as resp:
            await resp.read()
        assert time.perf_counter() - started >= 3 * 0.15


async def test_prefill_is_continued(http: aiohttp.ClientSession, emu: Emulator) -> None:
    body = {**BODY, "messages": [{"role": "user", "content": "Go on"},
                                 {"role": "assistant", "content": "Alice ran across the"}]}
    status, _, answer = await post(http, emu, body)
    assert status == 200
    assert answer["content"][0]["text"].startswith(" ")  # continues the sentence, no new topic word


async def test_models_endpoints(http: aiohttp.ClientSession, emu: Emulator) -> None:
    async with http.get(emu.base_url + "/v1/models?limit=2&after_id=" + EMULATOR_MODEL, headers=HEADERS) as resp:
        page = await resp.json()
    assert len(page["data"]) == 2 and page["first_id"] == page["data"][0]["id"] and page["has_more"]
    assert page["data"][0]["type"] == "model" and "capabilities" in page["data"][0]
    async with http.get(emu.base_url + "/v1/models?limit=0", headers=HEADERS) as resp:
        assert resp.status == 400
    async with http.get(emu.base_url + "/v1/nothing", headers=HEADERS) as resp:
        body = await resp.json()
        assert resp.status == 404 and body["error"]["type"] == "not_found_error"


def test_start_in_thread_serves_a_sync_client() -> None:
    handle = start_in_thread(seed=3)
    try:
        assert handle.api_base == handle.base_url + "/v1"
        client = anthropic.Anthropic(base_url=handle.base_url, api_key="k", max_retries=0)
        msg = client.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=BODY["messages"])
        again = client.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=BODY["messages"])
        assert msg.content[0].text == again.content[0].text  # --seed: reproducible
        client.close()
    finally:
        handle.stop()
    with pytest.raises(anthropic.APIConnectionError):
        anthropic.Anthropic(base_url=handle.base_url, api_key="k", max_retries=0).messages.create(
            model=EMULATOR_MODEL, max_tokens=10, messages=BODY["messages"])


async def test_64_concurrent_streams_all_complete(http: aiohttp.ClientSession, emu: Emulator) -> None:
    async def one(i: int) -> list[tuple[str, dict]]:
        body = {**BODY, "stream": True, "max_tokens": 200,
                "messages": [{"role": "user", "content": f"Story number {i} about the Queen"}]}
        async with http.post(emu.base_url + "/v1/messages", json=body,
                             headers={**HEADERS, "x-emulator-no-eos": "1"}) as resp:
            return parse_sse(await resp.text())

    streams = await asyncio.gather(*(one(i) for i in range(64)))
    for events in streams:
        assert events[-1][0] == "message_stop" and events[-2][1]["usage"]["output_tokens"] == 200


async def test_malformed_requests(http: aiohttp.ClientSession, emu: Emulator) -> None:
    async with http.post(emu.base_url + "/v1/messages", data=b"{not json", headers=HEADERS) as resp:
        body = await resp.json()
        assert resp.status == 400 and "error parsing the body" in body["error"]["message"]
    async with http.post(emu.base_url + "/v1/messages", json=[1, 2], headers=HEADERS) as resp:
        assert resp.status == 400 and "JSON object" in (await resp.json())["error"]["message"]
    async with http.get(emu.base_url + "/v1/messages", headers=HEADERS) as resp:
        body = await resp.json()
        assert resp.status == 405 and body["type"] == "error" and "not allowed" in body["error"]["message"]


async def test_always_thinking_models_think_unasked(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, _, body = await post(http, emu, {**BODY, "model": "claude-fable-5-1", "max_tokens": 500})
    assert status == 200 and [b["type"] for b in body["content"]] == ["thinking", "text"]


async def test_models_pagination_backwards_and_aliases(http: aiohttp.ClientSession, emu: Emulator) -> None:
    async with http.get(emu.base_url + "/v1/models?limit=1000", headers=HEADERS) as resp:
        every = [m["id"] for m in (await resp.json())["data"]]
    async with http.get(emu.base_url + f"/v1/models?limit=3&before_id={every[5]}", headers=HEADERS) as resp:
        page = await resp.json()
    assert [m["id"] for m in page["data"]] == every[2:5] and page["has_more"]
    async with http.get(emu.base_url + "/v1/models/tiny", headers=HEADERS) as resp:
        assert (await resp.json())["id"] == EMULATOR_MODEL
