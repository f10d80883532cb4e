"""End to end: the provider against the offline emulator (a real server on a free port)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator
from playground.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    OverloadedError,
    StreamError,
)
from playground.providers import Anthropic, OpenaiAPI
from playground.responses import RetryNotice
from playground.transport.retry import RetryPolicy
from playground.turn import TurnAccumulator

KEY = "sk-emulator-test-key-WXYZ"
WEATHER = {"name": "get_weather", "description": "Weather for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture
async def emu() -> Any:
    async with Emulator(seed=7) as emulator:
        yield emulator


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Anthropic, "retry_policy", RetryPolicy(base_delay=0.001, max_delay=0.005))


async def turn(emu: Emulator, messages: list[dict[str, Any]], **kwargs: Any) -> TurnAccumulator:
    acc = TurnAccumulator()
    async for part in Anthropic.create_async_generator(EMULATOR_MODEL, messages, api_key=KEY,
                                                       api_base=emu.api_base, **kwargs):
        acc.add(part)
    return acc


@pytest.mark.parametrize("stream", [True, False])
async def test_text_stream_and_json_agree(emu: Emulator, stream: bool) -> None:
    acc = await turn(emu, [{"role": "user", "content": "Tell me about Alice."}], stream=stream, max_tokens=60,
                     headers={"x-emulator-seed": "3"})
    assert acc.text.strip() and acc.finish.reason in ("stop", "length")
    assert acc.usage.input_tokens > 0 and 0 < acc.usage.output_tokens <= 60
    assert acc.headers.status == 200 and acc.headers.request_id
    assert acc.request.headers["x-api-key"] == "…WXYZ"
    again = await turn(emu, [{"role": "user", "content": "Tell me about Alice."}], stream=not stream, max_tokens=60,
                       headers={"x-emulator-seed": "3"})
    assert again.text == acc.text  # the same seeded reply, streamed or not


async def test_models_and_count_tokens(emu: Emulator) -> None:
    models = await Anthropic.get_models_async(api_key=KEY, api_base=emu.api_base)
    assert models[0] == EMULATOR_MODEL and "claude-sonnet-4-6" in models
    tokens = await Anthropic.count_tokens(EMULATOR_MODEL, [{"role": "user", "content": "Hello there, Alice."}],
                                          api_key=KEY, api_base=emu.api_base)
    assert tokens > 0


async def test_thinking_round_trip_keeps_the_signature(emu: Emulator) -> None:
    first = await turn(emu, [{"role": "user", "content": "Think, then answer."}], stream=True, max_tokens=2000,
                       thinking=1024)
    message = first.to_message()
    assert first.thinking and message["content"][0]["type"] == "thinking" and message["content"][0]["signature"]
    # The emulator verifies signatures: a modified thinking block would be a 400.
    history = [{"role": "user", "content": "Think, then answer."}, message, {"role": "user", "content": "More."}]
    second = await turn(emu, history, stream=True, max_tokens=2000, thinking=1024)
    assert second.text or second.thinking
    tampered = {**message, "content": [{**message["content"][0], "thinking": "edited"}, *message["content"][1:]]}
    with pytest.raises(BadRequestError):
        await turn(emu, [history[0], tampered, history[2]], stream=True, max_tokens=2000, thinking=1024)


async def test_tool_call_and_result(emu: Emulator) -> None:
    question = [{"role": "user", "content": "Use get_weather for Paris."}]
    first = await turn(emu, question, stream=True, tools=[WEATHER], max_tokens=200)
    assert first.finish.reason == "tool_calls"
    call = first.tool_calls[0]
    assert call.name == "get_weather" and isinstance(call.arguments.get("city"), str)
    history = [*question, first.to_message(),
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "Sunny"}]}]
    second = await turn(emu, history, stream=True, tools=[WEATHER], tool_choice="none", max_tokens=60)
    assert second.finish.reason != "tool_calls" and second.text


async def test_media_is_accepted(emu: Emulator) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 16), "green").save(buffer, "PNG")
    acc = await turn(emu, [{"role": "user", "content": "What is in the picture?"}], stream=True, max_tokens=60,
                     media=[(buffer.getvalue(), "green.png")])
    assert acc.text and acc.request.body["messages"][0]["content"][0]["type"] == "image"


async def test_stop_sequence_and_max_tokens(emu: Emulator) -> None:
    long = await turn(emu, [{"role": "user", "content": "Go on."}], stream=True, max_tokens=80,
                      headers={"x-emulator-no-eos": "1"})
    assert long.finish.raw == "max_tokens" and long.finish.reason == "length" and long.usage.output_tokens == 80
    # The stop sequence is part of the seeded request, so pick one any English reply contains.
    cut = await turn(emu, [{"role": "user", "content": "Go on."}], stream=True, max_tokens=80, stop=["e"],
                     headers={"x-emulator-no-eos": "1"})
    assert (cut.finish.raw, cut.finish.reason, cut.finish.stop_sequence) == ("stop_sequence", "stop", "e")
    assert "e" not in cut.text and cut.usage.output_tokens < 80


@pytest.mark.parametrize("fault", ["fail_once_overloaded", "fail_once_server_error"])
async def test_fail_once_faults_are_retried(emu: Emulator, fast_retries: None, fault: str) -> None:
    acc = await turn(emu, [{"role": "user", "content": f"Retry me ({fault})."}], stream=True, max_tokens=30,
                     headers={"x-emulator-fault": fault})
    assert len(acc.retries) == 1 and acc.text
    assert acc.request.attempt == 1


async def test_fail_once_rate_limit_honors_retry_after(emu: Emulator) -> None:
    acc = await turn(emu, [{"role": "user", "content": "Rate limited once."}], stream=True, max_tokens=30,
                     headers={"x-emulator-fault": "fail_once_rate_limit"})
    [notice] = acc.retries
    assert isinstance(notice, RetryNotice) and notice.delay == 1.0 and notice.reason.startswith("429 rate_limit_error")


async def test_persistent_overload_raises_after_retries(emu: Emulator, fast_retries: None) -> None:
    with pytest.raises(OverloadedError):
        await turn(emu, [{"role": "user", "content": "x"}], headers={"x-emulator-fault": "overloaded"})


@pytest.mark.parametrize("fault, error_type", [("mid_stream_error", "overloaded_error"),
                                               ("disconnect", "connection_error"),
                                               ("truncate", "incomplete_stream")])
async def test_stream_faults(emu: Emulator, fault: str, error_type: str) -> None:
    acc = TurnAccumulator()
    with pytest.raises(StreamError) as info:
        async for part in Anthropic.create_async_generator(
                EMULATOR_MODEL, [{"role": "user", "content": "Break."}], api_key=KEY, api_base=emu.api_base,
                stream=True, max_tokens=100, headers={"x-emulator-fault": fault, "x-emulator-no-eos": "1"}):
            acc.add(part)
    assert info.value.error_type == error_type and "partial" in str(info.value)
    assert acc.retries == []  # never retried once the response started


async def test_non_stream_disconnect_is_a_connection_error(emu: Emulator, fast_retries: None) -> None:
    with pytest.raises(APIConnectionError):
        await turn(emu, [{"role": "user", "content": "x"}], headers={"x-emulator-fault": "disconnect"}, max_retries=0)


async def test_wrong_key_is_an_authentication_error() -> None:
    async with Emulator(api_key="the-right-key") as emu:
        with pytest.raises(AuthenticationError) as info:
            await turn(emu, [{"role": "user", "content": "x"}])
        assert KEY not in str(info.value)


async def test_openai_provider_against_the_emulator(emu: Emulator) -> None:
    parts = [p async for p in OpenaiAPI.create_async_generator(
        EMULATOR_MODEL, [{"role": "user", "content": "Hello"}], api_key=KEY, api_base=emu.api_base, stream=True,
        max_tokens=30)]
    acc = TurnAccumulator()
    for part in parts:
        acc.add(part)
    assert acc.text and acc.finish is not None and acc.usage.completion_tokens > 0
