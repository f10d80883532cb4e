"""This project's own providers end to end against the emulator: every feature the issue lists."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from playground import errors
from playground.catalog import EMULATOR_MODEL, MODELS
from playground.emulator import Emulator
from playground.emulator.tokenizer import count
from playground.providers import Anthropic, OpenaiAPI
from playground.responses import FinishReason, HeadersResponse, Reasoning, RetryNotice, ToolCalls, Usage
from playground.turn import TurnAccumulator

pytestmark = pytest.mark.timeout(60)

HELLO = [{"role": "user", "content": "Tell me about the Caterpillar and the Mouse"}]
TOOL = {"name": "find_book", "description": "Find a book", "input_schema": {
    "type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}}


async def run(emu: Emulator, messages: list, **kwargs) -> TurnAccumulator:
    acc = TurnAccumulator()
    model = kwargs.pop("model", EMULATOR_MODEL)
    options = {"api_key": "sk-provider", "api_base": emu.api_base, "max_retries": 0, **kwargs}
    async for part in Anthropic.create_async_generator(model, messages, **options):
        acc.add(part)
    return acc


@pytest.mark.parametrize("stream", [True, False])
async def test_text_usage_headers_and_finish(emu: Emulator, stream: bool) -> None:
    acc = await run(emu, HELLO, stream=stream, max_tokens=25, headers={"x-emulator-no-eos": "1"})
    assert acc.text and count(acc.text) == 25
    assert acc.finish == FinishReason("length", "max_tokens", None)
    assert isinstance(acc.usage, Usage) and acc.usage.output_tokens == 25
    assert isinstance(acc.headers, HeadersResponse) and acc.headers.request_id.startswith("req_")
    assert "anthropic-ratelimit-requests-remaining" in acc.headers.headers
    counted = await Anthropic.count_tokens(EMULATOR_MODEL, HELLO, api_key="k", api_base=emu.api_base)
    assert counted == acc.usage.input_tokens


async def test_sampling_knobs_and_stop(emu: Emulator) -> None:
    greedy = {(await run(emu, HELLO, stream=True, temperature=0.0, max_tokens=30)).text for _ in range(3)}
    assert len(greedy) == 1
    top1 = (await run(emu, HELLO, stream=True, temperature=1.0, top_k=1, max_tokens=30)).text
    assert {top1} == greedy
    stopped = await run(emu, HELLO, stream=True, stop=[" and"], max_tokens=300, headers={"x-emulator-no-eos": "1"})
    assert stopped.finish.raw == "stop_sequence" and stopped.finish.stop_sequence == " and"
    assert " and" not in stopped.text


async def test_thinking_round_trip_through_the_accumulator(emu: Emulator) -> None:
    first = await run(emu, HELLO, stream=True, max_tokens=3000, thinking=1024)
    assert first.thinking and first.text
    message = first.to_message()
    assert message["content"][0]["type"] == "thinking" and message["content"][0]["signature"]
    history = [*HELLO, message, {"role": "user", "content": "Go on"}]
    again = await run(emu, history, stream=True, max_tokens=3000, thinking={"type": "enabled", "budget_tokens": 1024})
    assert again.thinking
    message["content"][0]["thinking"] += " tampered"
    with pytest.raises(errors.BadRequestError, match="signature"):
        await run(emu, [*HELLO, message, {"role": "user", "content": "Go on"}], stream=True, max_tokens=3000,
                  thinking=1024)


async def test_tool_round_trip(emu: Emulator) -> None:
    ask = [{"role": "user", "content": "Please find_book for Alice in Wonderland"}]
    first = await run(emu, ask, stream=True, tools=[TOOL], max_tokens=200)
    assert first.finish.reason == "tool_calls"
    (call,) = first.tool_calls
    assert call.name == "find_book" and call.arguments == {"title": "Alice"}
    history = [*ask, first.to_message(),
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "found it"}]}]
    second = await run(emu, history, stream=True, tools=[TOOL], max_tokens=200)
    assert second.text.startswith("The find_book tool returned: found it.")
    assert second.finish.reason == "stop"


async def test_image_media(emu: Emulator) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (75, 40)).save(buf, "PNG")
    acc = await run(emu, [{"role": "user", "content": "Describe it"}], stream=True, max_tokens=200,
                    media=[(buf.getvalue(), "pic.png")])
    assert f"a PNG image (75x40 px, {len(buf.getvalue())} bytes)" in acc.text
    text_only = await Anthropic.count_tokens(EMULATOR_MODEL, [{"role": "user", "content": "Describe it"}],
                                             api_key="k", api_base=emu.api_base)
    assert acc.usage.input_tokens == text_only + 4  # ceil(75*40/750)


async def test_models(emu: Emulator) -> None:
    ids = await Anthropic.get_models_async(api_key="k", api_base=emu.api_base, refresh=True)
    assert ids == [EMULATOR_MODEL, *(m.id for m in MODELS)]


@pytest.mark.parametrize(("fault", "error"), [
    ("rate_limit", errors.RateLimitError),
    ("overloaded", errors.OverloadedError),
    ("server_error", errors.InternalServerError),
])
async def test_status_faults(emu: Emulator, fault: str, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        await run(emu, HELLO, stream=True, headers={"x-emulator-fault": fault})
    assert info.value.request_id.startswith("req_")


@pytest.mark.parametrize("fault", ["mid_stream_error", "disconnect", "truncate"])
async def test_stream_faults_raise_stream_error_after_partial_text(emu: Emulator, fault: str) -> None:
    acc = TurnAccumulator()
    with pytest.raises(errors.StreamError):
        async for part in Anthropic.create_async_generator(
                EMULATOR_MODEL, HELLO, api_key="k", api_base=emu.api_base, stream=True, max_tokens=50, max_retries=0,
                headers={"x-emulator-fault": fault, "x-emulator-no-eos": "1"}):
            acc.add(part)
    assert acc.text  # the partial output arrived before the failure


async def test_fail_once_is_retried(emu: Emulator) -> None:
    acc = await run(emu, HELLO, stream=True, max_tokens=10, max_retries=2,
                    headers={"x-emulator-fault": "fail_once_overloaded"})
    assert len(acc.retries) == 1 and isinstance(acc.retries[0], RetryNotice) and "529" in acc.retries[0].reason
    assert acc.text


async def test_slow_fault_trips_the_timeout(emu: Emulator) -> None:
    with pytest.raises((errors.StreamError, errors.APITimeoutError)):
        await run(emu, HELLO, stream=True, max_tokens=5, timeout=0.3,
                  headers={"x-emulator-fault": "slow", "x-emulator-pause-ms": "2000"})


async def test_wrong_key_and_model_rules() -> None:
    async with Emulator(api_key="sk-right") as emu:
        with pytest.raises(errors.AuthenticationError):
            await run(emu, HELLO, api_key="sk-wrong", stream=True)
        with pytest.raises(errors.NotFoundError):
            await run(emu, HELLO, api_key="sk-right", model="claude-none", stream=True)
        # The server enforces a real model's policy even when the client does not pre-check it.
        with pytest.raises((errors.BadRequestError, errors.ParameterError), match="top_p"):
            await run(emu, HELLO, api_key="sk-right", model="claude-sonnet-4-6", stream=True,
                      temperature=0.5, top_p=0.5)


async def test_reasoning_parts_carry_the_signature(emu: Emulator) -> None:
    parts = [p async for p in Anthropic.create_async_generator(
        EMULATOR_MODEL, HELLO, api_key="k", api_base=emu.api_base, stream=True, max_tokens=2000, thinking=1024)]
    assert any(isinstance(p, Reasoning) and p.signature for p in parts)
    assert not any(isinstance(p, ToolCalls) for p in parts)


async def test_openai_provider_against_chat_completions(emu: Emulator) -> None:
    acc = TurnAccumulator()
    async for part in OpenaiAPI.create_async_generator(EMULATOR_MODEL, HELLO, api_key="k", api_base=emu.api_base,
                                                       stream=True, max_tokens=12,
                                                       headers={"x-emulator-no-eos": "1"}):
        acc.add(part)
    assert count(acc.text) == 12
    assert acc.finish.reason == "length"
