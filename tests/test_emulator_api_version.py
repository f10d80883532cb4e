"""The emulator and the newer API surface over real HTTP: the 2026-10-21 sampling rule, the request
fields SDK 2.x sends (thread, fallbacks, container, ...), and the retry/rate-limit wire details."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator

OLD = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}
NEW = {"authorization": "Bearer sk-test", "anthropic-version": "2026-10-21"}
BODY = {"model": EMULATOR_MODEL, "max_tokens": 20, "messages": [{"role": "user", "content": "Hello Alice"}]}


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, emu: Emulator, body: dict, headers: dict) -> tuple[int, dict, dict]:
    async with http.post(emu.base_url + "/v1/messages", json=body, headers=headers) as resp:
        return resp.status, {k.lower(): v for k, v in resp.headers.items()}, await resp.json(content_type=None)


@pytest.mark.parametrize("name,value", [("temperature", 0.5), ("top_p", 0.9), ("top_k", 5), ("temperature", 1.0)])
async def test_2026_10_21_refuses_sampling_parameters(http: aiohttp.ClientSession, emu: Emulator, name: str,
                                                      value: float) -> None:
    status, _, body = await post(http, emu, {**BODY, name: value}, NEW)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith(f"{name}: Extra inputs are not permitted (anthropic-version 2026-10-21")
    status, _, body = await post(http, emu, {**BODY, name: value}, OLD)
    assert status == 200, body
    status, _, body = await post(http, emu, BODY, NEW)
    assert status == 200, body


async def test_newer_fields_are_accepted_and_echoed(http: aiohttp.ClientSession, emu: Emulator) -> None:
    body = {**BODY, "service_tier": "standard_only", "inference_geo": "us", "speed": "fast",
            "diagnostics": {"previous_message_id": None}, "container": {"id": None, "skills": []},
            "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
            "fallbacks": [{"model": "claude-sonnet-4-6", "max_tokens": 100}], "mcp_servers": []}
    status, _, reply = await post(http, emu, body, NEW)
    assert status == 200, reply
    assert reply["usage"]["speed"] == "fast" and reply["usage"]["inference_geo"] == "us"
    assert reply["diagnostics"] == {"cache_miss_reason": None}
    assert reply["context_management"] == {"applied_edits": []}
    status, _, reply = await post(http, emu, {**BODY, "fallbacks": "default", "container": "cntr_1"}, NEW)
    assert status == 200, reply


@pytest.mark.parametrize(("extra", "status", "message"), [
    ({"speed": "warp"}, 400, "speed: Input should be 'standard' or 'fast'"),
    ({"service_tier": "priority"}, 400, "service_tier: Input should be 'auto' or 'standard_only'"),
    ({"diagnostics": {"previous_message_id": 3}}, 400, "diagnostics.previous_message_id: Input should be a valid string"),
    ({"container": {"skills": [{"skill_id": "x", "type": "other"}]}}, 400, "container.skills.0.type"),
    ({"context_management": {"edits": [{"type": "forget_everything"}]}}, 400, "context_management.edits.0: Input tag"),
    ({"fallbacks": [{"model": "claude-nope-1"}]}, 404, "fallbacks.0.model: claude-nope-1"),
    ({"fallbacks": [{"max_tokens": 5}]}, 400, "fallbacks.0.model: Field required"),
    ({"mcp_servers": [{"type": "url", "name": "m", "url": "https://mcp.example.com"}]}, 400,
     "the offline emulator cannot connect to MCP servers (https://mcp.example.com)"),
    ({"thread": {"type": "fork"}}, 400, "thread: Input tag"),
    ({"output_config": {"verbosity": "high"}}, 400, "output_config.verbosity: Extra inputs are not permitted"),
])
async def test_newer_fields_are_shape_checked(http: aiohttp.ClientSession, emu: Emulator, extra: dict, status: int,
                                              message: str) -> None:
    got, _, body = await post(http, emu, {**BODY, **extra}, NEW)
    assert got == status and message in body["error"]["message"], body


async def test_threads_hold_the_conversation(http: aiohttp.ClientSession, emu: Emulator) -> None:
    first = {**BODY, "system": "Be brief.", "thread": {"type": "create"}}
    status, _, one = await post(http, emu, first, NEW)
    assert status == 200, one
    follow = {"model": EMULATOR_MODEL, "max_tokens": 20, "messages": [{"role": "user", "content": "And then?"}],
              "thread": {"type": "continue", "previous_message_id": one["id"]}}
    status, _, two = await post(http, emu, follow, NEW)
    assert status == 200, two
    # The same conversation sent whole costs the same input tokens: the thread put the history back.
    whole = {"model": EMULATOR_MODEL, "max_tokens": 20, "system": "Be brief.", "messages": [
        *BODY["messages"], {"role": "assistant", "content": one["content"]}, {"role": "user", "content": "And then?"}]}
    _, _, stateless = await post(http, emu, whole, NEW)
    assert two["usage"]["input_tokens"] == stateless["usage"]["input_tokens"] > one["usage"]["input_tokens"]

    status, _, again = await post(http, emu, follow, NEW)
    assert status == 400 and again["error"]["details"] == {"error_code": "thread_already_continued"}
    lost = {**follow, "thread": {"type": "continue", "previous_message_id": "msg_unknown"}}
    status, _, gone = await post(http, emu, lost, NEW)
    assert status == 404 and gone["error"]["details"] == {"error_code": "thread_not_found"}
    repeat = {**follow, "system": "Other.", "thread": {"type": "continue", "previous_message_id": two["id"]}}
    status, _, refused = await post(http, emu, repeat, NEW)
    assert status == 400 and refused["error"]["message"].startswith("system: cannot be given with thread.type")


async def test_529_says_retry_and_when(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, headers, body = await post(http, emu, BODY, {**NEW, "x-emulator-fault": "overloaded"})
    assert status == 529 and body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert headers["retry-after"] == "1" and headers["x-should-retry"] == "true"


async def test_429_carries_the_rate_limit_headers(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, headers, body = await post(http, emu, BODY, {**NEW, "x-emulator-fault": "rate_limit"})
    assert status == 429 and body["error"]["type"] == "rate_limit_error"
    assert headers["retry-after"] == "1" and headers["x-should-retry"] == "true"
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        assert {f"anthropic-ratelimit-{kind}-{f}" for f in ("limit", "remaining", "reset")} <= set(headers)
    assert headers["anthropic-ratelimit-input-tokens-remaining"] == "0"  # the limit the message names is spent
    assert int(headers["anthropic-ratelimit-requests-remaining"]) < int(headers["anthropic-ratelimit-requests-limit"])
