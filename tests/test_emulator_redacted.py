"""Redacted thinking from the emulator (``x-emulator-redact-thinking: 1`` / ``--redact-thinking``),
over real HTTP: the official SDK's view of the block, its byte-identical round trip, and this
project's provider + TurnAccumulator carrying it into the next turn."""

from __future__ import annotations

import anthropic
import pytest

from playground import errors
from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator
from playground.emulator.tokenizer import count
from playground.providers import Anthropic
from playground.responses import Reasoning
from playground.turn import TurnAccumulator

pytestmark = pytest.mark.timeout(60)

HELLO = [{"role": "user", "content": "Tell me about the Queen of Hearts"}]
REDACT = {"x-emulator-redact-thinking": "1"}
BUDGET = {"model": EMULATOR_MODEL, "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}}


def follow_up(content: list[dict]) -> list[dict]:
    return [*HELLO, {"role": "assistant", "content": content}, {"role": "user", "content": "And then?"}]


def flip(data: str) -> str:
    """``data`` with one base64 character changed (still valid base64 of the same length)."""
    i = len(data) // 2
    return data[:i] + ("A" if data[i] != "A" else "B") + data[i + 1:]


async def test_streamed_block_arrives_whole_with_no_deltas(client: anthropic.AsyncAnthropic) -> None:
    stream = await client.messages.create(messages=HELLO, stream=True, extra_headers=REDACT, **BUDGET)
    events = [event async for event in stream]
    starts = [e for e in events if e.type == "content_block_start"]
    assert [s.content_block.type for s in starts] == ["redacted_thinking", "text"]
    redacted = starts[0].content_block
    assert starts[0].index == 0 and redacted.data
    assert not [e for e in events if e.type == "content_block_delta" and e.index == 0]
    stops = [e.index for e in events if e.type == "content_block_stop"]
    assert stops == [0, 1]
    assert "Queen" not in redacted.data  # opaque: the thought is not readable in it


@pytest.mark.parametrize("streamed", [True, False])
async def test_reply_round_trips_byte_identical_and_a_changed_block_is_a_400(
        client: anthropic.AsyncAnthropic, streamed: bool) -> None:
    if streamed:
        async with client.messages.stream(messages=HELLO, extra_headers=REDACT, **BUDGET) as stream:
            final = await stream.get_final_message()
    else:
        final = await client.messages.create(messages=HELLO, extra_headers=REDACT, **BUDGET)
    assert [b.type for b in final.content] == ["redacted_thinking", "text"]
    content = [b.model_dump(exclude_none=True) for b in final.content]
    again = await client.messages.create(messages=follow_up(content), extra_headers=REDACT, **BUDGET)
    assert again.content[0].type == "redacted_thinking" and again.content[1].text

    for bad in (flip(content[0]["data"]), content[0]["data"] + "==", content[0]["data"][:-4], " " + content[0]["data"]):
        tampered = [{"type": "redacted_thinking", "data": bad}, *content[1:]]
        with pytest.raises(anthropic.BadRequestError) as info:
            await client.messages.create(messages=follow_up(tampered), **BUDGET)
        body = info.value.body
        assert body["type"] == "error" and body["request_id"].startswith("req_")
        assert body["error"] == {"type": "invalid_request_error",
                                 "message": "messages.1.content.0: Invalid `data` in `redacted_thinking` block"}


async def test_hidden_thinking_tokens_still_count_as_output() -> None:
    seeded = {"x-emulator-seed": "11"}
    async with Emulator() as emu, anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="k") as client:
        plain = await client.messages.create(messages=HELLO, extra_headers=seeded, **BUDGET)
        redacted = await client.messages.create(messages=HELLO, extra_headers={**seeded, **REDACT}, **BUDGET)
        # Same seed, same body: the same thought and answer, only the thinking block is sealed.
        assert redacted.content[1].text == plain.content[1].text
        thought_tokens = count(plain.content[0].thinking)
        assert thought_tokens > 0
        assert redacted.usage.output_tokens == plain.usage.output_tokens == thought_tokens + count(plain.content[1].text)
        # max_tokens counts the hidden thought too: cut inside it, the reply is the sealed block alone.
        cut = await client.messages.create(model=EMULATOR_MODEL, max_tokens=3, messages=HELLO,
                                           thinking={"type": "adaptive"}, extra_headers=REDACT)
    assert cut.stop_reason == "max_tokens" and cut.usage.output_tokens == 3
    assert [b.type for b in cut.content] == ["redacted_thinking"]


async def test_server_option_and_header_override() -> None:
    async with Emulator(redact_thinking=True) as emu, anthropic.AsyncAnthropic(base_url=emu.base_url,
                                                                               api_key="k", max_retries=0) as client:
        default = await client.messages.create(messages=HELLO, **BUDGET)
        off = await client.messages.create(messages=HELLO, extra_headers={"x-emulator-redact-thinking": "0"}, **BUDGET)
        no_thinking = await client.messages.create(model=EMULATOR_MODEL, max_tokens=50, messages=HELLO)
        with pytest.raises(anthropic.BadRequestError, match="x-emulator-redact-thinking: expected 1 or 0"):
            await client.messages.create(messages=HELLO, extra_headers={"x-emulator-redact-thinking": "maybe"},
                                         **BUDGET)
    assert default.content[0].type == "redacted_thinking"
    assert off.content[0].type == "thinking"
    assert [b.type for b in no_thinking.content] == ["text"]  # nothing to redact without thinking


# ----------------------------------------------------------------------------- this project's provider

async def run(emu: Emulator, messages: list, *, stream: bool) -> tuple[TurnAccumulator, list[Reasoning]]:
    acc, reasoning = TurnAccumulator(), []
    async for part in Anthropic.create_async_generator(
            EMULATOR_MODEL, messages, api_key="sk-provider", api_base=emu.api_base, max_retries=0, stream=stream,
            max_tokens=3000, thinking=1024, headers=REDACT):
        acc.add(part)
        if isinstance(part, Reasoning):
            reasoning.append(part)
    return acc, reasoning


@pytest.mark.parametrize("stream", [True, False])
async def test_provider_yields_redacted_reasoning_and_the_accumulator_sends_it_back(emu: Emulator,
                                                                                   stream: bool) -> None:
    first, reasoning = await run(emu, HELLO, stream=stream)
    assert len(reasoning) == 1 and reasoning[0].is_redacted and reasoning[0].redacted_data
    assert first.thinking == "" and first.text  # nothing readable, a normal answer
    message = first.to_message()
    assert message["content"][0] == {"type": "redacted_thinking", "data": reasoning[0].redacted_data}
    history = [*HELLO, message, {"role": "user", "content": "Go on"}]
    again, again_reasoning = await run(emu, history, stream=stream)
    assert again.text and again_reasoning[0].is_redacted
    message["content"][0]["data"] = flip(message["content"][0]["data"])
    with pytest.raises(errors.BadRequestError, match="redacted_thinking"):
        await run(emu, history, stream=stream)


def test_cli_flag() -> None:
    from playground.emulator.__main__ import parse_args

    assert parse_args(["--redact-thinking"]).redact_thinking is True
    assert parse_args([]).redact_thinking is False
