"""OpenaiAPI against a local /chat/completions replay server: the same parts and errors as Anthropic."""

from __future__ import annotations

import json
from typing import Any

import pytest
from replay import ReplayServer

from playground.errors import ParameterError, RateLimitError, StreamError
from playground.providers import OpenaiAPI
from playground.responses import FinishReason, Reasoning, RequestRecord, ToolCalls, Usage
from playground.turn import TurnAccumulator

KEY = "sk-openai-test-key-0000-WXYZ"
MESSAGES = [{"role": "user", "content": "Hi"}]


def chunks(*deltas: dict[str, Any], finish: str = "stop", usage: dict | None = None, done: bool = True) -> bytes:
    lines = [{"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
             for d in deltas]
    lines.append({"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if usage:
        lines.append({"id": "c1", "choices": [], "usage": usage})
    body = "".join(f"data: {json.dumps(x)}\n\n" for x in lines)
    return (body + ("data: [DONE]\n\n" if done else "")).encode()


async def collect(server: ReplayServer, **kwargs: Any) -> list[Any]:
    kwargs.setdefault("stream", True)
    return [p async for p in OpenaiAPI.create_async_generator(kwargs.pop("model", "llama3"), MESSAGES, api_key=KEY,
                                                               api_base=server.api_base, **kwargs)]


async def test_stream_text_usage_and_request(replay_server: ReplayServer) -> None:
    replay_server.sse(chunks({"role": "assistant", "content": ""}, {"content": "Hel"}, {"content": "lo"},
                             usage={"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11,
                                    "prompt_tokens_details": {"cached_tokens": 4}}))
    parts = await collect(replay_server, temperature=1.5, stop=["x"], system="Sys")
    sent = replay_server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.json == {"model": "llama3", "messages": [{"role": "system", "content": "Sys"}, *MESSAGES],
                         "max_tokens": 4096, "temperature": 1.5, "stop": ["x"], "stream": True,
                         "stream_options": {"include_usage": True}}
    assert isinstance(parts[0], RequestRecord) and parts[0].headers["Authorization"] == "Bearer …WXYZ"
    assert [p for p in parts if isinstance(p, str)] == ["Hel", "lo"]
    assert parts[-2] == FinishReason("stop", "stop")
    usage = parts[-1]
    assert isinstance(usage, Usage) and (usage.prompt_tokens, usage.completion_tokens, usage.cache_read_input_tokens) == (9, 2, 4)


async def test_tool_calls_and_reasoning(replay_server: ReplayServer) -> None:
    replay_server.sse(chunks(
        {"reasoning_content": "think"},
        {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "w", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
        finish="tool_calls"))
    parts = await collect(replay_server, tools=[{"name": "w", "description": "weather", "input_schema": {"type": "object"}}],
                          tool_choice={"type": "tool", "name": "w"})
    assert replay_server.requests[0].json["tools"] == [
        {"type": "function", "function": {"name": "w", "parameters": {"type": "object"}, "description": "weather"}}]
    assert replay_server.requests[0].json["tool_choice"] == {"type": "function", "function": {"name": "w"}}
    assert Reasoning("think") in parts
    call = next(p for p in parts if isinstance(p, ToolCalls)).calls[0]
    assert (call.id, call.name, call.arguments) == ("call_1", "w", {"city": "Paris"})
    assert parts[-2].reason == "tool_calls"


async def test_non_stream(replay_server: ReplayServer) -> None:
    replay_server.json({"choices": [{"message": {"role": "assistant", "content": "Yo"}, "finish_reason": "length"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1}})
    parts = await collect(replay_server, stream=False)
    acc = TurnAccumulator()
    for part in parts:
        acc.add(part)
    assert acc.text == "Yo" and acc.finish.reason == "length" and "stream" not in replay_server.requests[0].json


async def test_errors_and_broken_streams(replay_server: ReplayServer) -> None:
    replay_server.json({"error": {"message": "slow down", "type": "rate_limit_exceeded"}}, 429,
                       {"x-should-retry": "false"})
    with pytest.raises(RateLimitError, match="429 rate_limit_exceeded: slow down"):
        await collect(replay_server)
    replay_server.sse(b'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"error":{"message":"boom"}}\n\n')
    with pytest.raises(StreamError, match="boom"):
        await collect(replay_server)
    replay_server.sse(b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n')
    with pytest.raises(StreamError, match=r"\[DONE\]"):
        await collect(replay_server)


async def test_missing_done_after_finish_reason_is_accepted(replay_server: ReplayServer) -> None:
    replay_server.sse(chunks({"content": "ok"}, done=False))
    parts = await collect(replay_server)
    assert "ok" in parts and parts[-2].reason == "stop"


async def test_key_is_optional_and_thinking_is_refused(replay_server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    replay_server.sse(chunks({"content": "ok"}))
    parts = [p async for p in OpenaiAPI.create_async_generator("m", MESSAGES, api_base=replay_server.api_base, stream=True)]
    assert "ok" in parts and "Authorization" not in replay_server.requests[0].headers
    with pytest.raises(ParameterError) as info:
        await collect(replay_server, thinking=2048)
    assert info.value.param == "thinking"
    with pytest.raises(ParameterError) as info:
        await collect(replay_server, model="")
    assert info.value.param == "model"


async def test_get_models(replay_server: ReplayServer) -> None:
    replay_server.json({"object": "list", "data": [{"id": "llama3"}, {"id": "qwen"}]})
    assert await OpenaiAPI.get_models_async(api_key=KEY, api_base=replay_server.api_base) == ["llama3", "qwen"]
    assert replay_server.requests[0].headers["Authorization"] == f"Bearer {KEY}"


async def test_anthropic_native_history_is_converted(replay_server: ReplayServer) -> None:
    history = [
        {"role": "user", "content": [{"type": "text", "text": "Weather?"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "s"},
                                          {"type": "text", "text": "Checking."},
                                          {"type": "tool_use", "id": "t1", "name": "w", "input": {"c": "P"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "sunny"}]}]},
    ]
    replay_server.sse(chunks({"content": "ok"}))
    [p async for p in OpenaiAPI.create_async_generator("m", history, api_key=KEY, api_base=replay_server.api_base,
                                                         stream=True)]
    assert replay_server.requests[0].json["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather?"},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]},
        {"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "w", "arguments": '{"c": "P"}'}}]},
        {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
    ]
