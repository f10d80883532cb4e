"""Bad input gets a clear 4xx in the API's shape, never a 500: every top-level field and every
message content shape is replaced by values of the wrong type, on every POST endpoint."""

from __future__ import annotations

import aiohttp
import pytest

from playground.emulator import Emulator

pytestmark = pytest.mark.timeout(60)

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
WRONG = [None, "x", [], {}, -1, True, 1.5, [None], [{}], {"type": None}, {"type": "zzz"}, [1, 2]]
MESSAGES_BODY = {
    "model": "playground-tiny", "max_tokens": 2000, "system": "s", "temperature": 0.5, "top_k": 3, "top_p": 0.9,
    "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "stop_sequences": ["x"],
    "tools": [{"name": "t", "input_schema": {"type": "object"}}], "tool_choice": {"type": "auto"},
    "thinking": {"type": "enabled", "budget_tokens": 1024}, "metadata": {"user_id": "u"},
    "output_config": {"effort": "low"}, "stream": False,
}
COUNT_ONLY = ("model", "messages", "system", "tools", "tool_choice", "thinking", "output_config")
CHAT_BODY = {
    "model": "playground-tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "temperature": 1,
    "top_p": 1, "stop": "x", "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "auto",
    "seed": 1, "stream": False, "stream_options": {"include_usage": True}, "n": 1,
}
BAD_CONTENT = [*WRONG, [{"type": "image"}], [{"type": "image", "source": {"type": "base64"}}],
               [{"type": "tool_result"}], [{"type": "tool_use"}], [{"type": "document", "source": {"type": "text"}}],
               [{"type": "document", "source": {"type": "content", "content": 5}}], [{"type": "text", "text": 5}]]


async def test_no_input_makes_the_server_fail() -> None:
    failures = []
    async with Emulator() as emu, aiohttp.ClientSession() as http:
        async def check(path: str, body: object) -> None:
            async with http.post(emu.base_url + path, json=body, headers=HEADERS) as resp:
                raw = await resp.read()  # a valid variant may stream (e.g. stream=True)
                if resp.status >= 500 or (resp.status >= 400 and b'"error"' not in raw):
                    failures.append((path, body, resp.status, raw[:300]))

        for key in MESSAGES_BODY:
            for wrong in WRONG:
                await check("/v1/messages", {**MESSAGES_BODY, key: wrong})
                if key in COUNT_ONLY:
                    count_body = {k: v for k, v in MESSAGES_BODY.items() if k in COUNT_ONLY}
                    await check("/v1/messages/count_tokens", {**count_body, key: wrong})
        for content in BAD_CONTENT:
            for role in ("user", "assistant"):
                messages = [{"role": "user", "content": "hi"}, {"role": role, "content": content},
                            {"role": "user", "content": "x"}]
                await check("/v1/messages", {**MESSAGES_BODY, "thinking": None, "messages": messages})
        for key in CHAT_BODY:
            for wrong in WRONG:
                await check("/v1/chat/completions", {**CHAT_BODY, key: wrong})
        for wrong in WRONG:
            await check("/v1/chat/completions", {**CHAT_BODY, "messages": [wrong]})
            await check("/v1/chat/completions", {**CHAT_BODY, "messages": [{"role": "user", "content": wrong}]})
    assert failures == []


async def test_bad_headers_and_deep_json_are_400s() -> None:
    async with Emulator() as emu, aiohttp.ClientSession() as http:
        body = {"model": "playground-tiny", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        for name, value in [("x-emulator-latency-ms", "soon"), ("x-emulator-tokens-per-second", "nan"),
                            ("x-emulator-seed", "1.5"), ("x-emulator-pause-ms", "-3")]:
            headers = {**HEADERS, name: value, "x-emulator-fault": "slow"}
            async with http.post(emu.base_url + "/v1/messages", json=body, headers=headers) as resp:
                assert resp.status == 400 and name in (await resp.json())["error"]["message"]
        deep = b'{"model": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        async with http.post(emu.base_url + "/v1/messages", data=deep, headers=HEADERS) as resp:
            assert resp.status == 400
