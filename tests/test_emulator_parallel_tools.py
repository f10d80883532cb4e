"""Parallel tool use and the prefill rule, from reply planning to the official SDKs and our providers.

The emulator calls every tool the user names (in order of first mention) unless
``disable_parallel_tool_use`` or a forced ``tool`` choice limits it to one; models of the 4.6
generation and newer refuse a trailing assistant message (prefill), both in the emulator (400)
and in the provider before any request is sent.
"""

from __future__ import annotations

import io
import json
import random

import anthropic
import openai
import pytest
from PIL import Image
from replay import ReplayServer

from playground import catalog, errors
from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator
from playground.emulator.apierror import ApiError
from playground.emulator.compose import compose, count_output
from playground.emulator.request import parse_messages
from playground.emulator.sampler import default_model
from playground.emulator.tokenizer import count
from playground.providers import Anthropic
from playground.responses import ToolCalls
from playground.turn import TurnAccumulator

pytestmark = pytest.mark.timeout(60)

WEATHER = {"name": "get_weather", "description": "Weather for a city", "input_schema": {
    "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}
TIME = {"name": "get_time", "description": "Local time", "input_schema": {"type": "object", "properties": {}}}
NEWS = {"name": "get_news", "description": "Headlines", "input_schema": {"type": "object", "properties": {}}}
# Mention order (time, then weather) differs from the tools' order, so the test sees which one wins.
ASK = [{"role": "user", "content": "Check get_time first, then get_weather for Lisbon."}]
NO_PREFILL = [m.id for m in catalog.MODELS if not m.accepts_prefill]


def plan(messages: list = ASK, tools: list | None = None, max_tokens: int = 200, **body):
    req = parse_messages({"model": EMULATOR_MODEL, "max_tokens": max_tokens, "messages": messages,
                          "tools": [WEATHER, TIME, NEWS] if tools is None else tools, **body})
    return compose(req, default_model(), random.Random(0))


def calls(reply) -> list[str]:
    return [b.tool_name for b in reply.blocks if b.type == "tool_use"]


# -- reply planning ----------------------------------------------------------------------

def test_every_named_tool_is_called_in_mention_order() -> None:
    reply = plan()
    assert [b.type for b in reply.blocks] == ["text", "tool_use", "tool_use"]
    assert reply.blocks[0].text == "I'll use the get_time and get_weather tools."
    assert calls(reply) == ["get_time", "get_weather"]
    ids = [b.tool_id for b in reply.blocks[1:]]
    assert len(set(ids)) == 2 and all(i.startswith("toolu_") for i in ids)
    assert [b.to_json()["input"] for b in reply.blocks[1:]] == [{}, {"location": "Lisbon"}]
    assert reply.stop_reason == "tool_use"
    assert reply.output_tokens == count_output(reply)


def test_any_calls_the_named_tools_or_else_the_first() -> None:
    assert calls(plan(tool_choice={"type": "any"})) == ["get_time", "get_weather"]
    assert calls(plan([{"role": "user", "content": "Hello"}], tool_choice={"type": "any"})) == ["get_weather"]
    assert calls(plan([{"role": "user", "content": "Hello"}])) == []


@pytest.mark.parametrize("choice, expected", [
    ({"type": "auto", "disable_parallel_tool_use": True}, ["get_time"]),
    ({"type": "any", "disable_parallel_tool_use": True}, ["get_time"]),
    ({"type": "auto", "disable_parallel_tool_use": False}, ["get_time", "get_weather"]),
    ({"type": "tool", "name": "get_news"}, ["get_news"]),  # forced: exactly one, even with others named
    ({"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}, ["get_weather"]),
    ({"type": "none"}, []),
])
def test_tool_choice_limits_the_calls(choice: dict, expected: list[str]) -> None:
    reply = plan(tool_choice=choice)
    assert calls(reply) == expected
    assert reply.stop_reason == ("tool_use" if expected else "end_turn")


@pytest.mark.parametrize("choice, message", [
    ({"type": "auto", "disable_parallel_tool_use": "yes"}, "tool_choice.auto.disable_parallel_tool_use: Input should be a valid boolean"),
    ({"type": "any", "disable_parallel_tool_use": 1}, "tool_choice.any.disable_parallel_tool_use: Input should be a valid boolean"),
    ({"type": "none", "disable_parallel_tool_use": True}, "tool_choice.none.disable_parallel_tool_use: Extra inputs"),
])
def test_bad_disable_parallel_flag_is_a_400(choice: dict, message: str) -> None:
    with pytest.raises(ApiError) as info:
        plan(tool_choice=choice)
    assert info.value.status == 400 and info.value.error_type == "invalid_request_error"
    assert info.value.message.startswith(message)


def test_max_tokens_counts_every_call_and_cuts_where_it_runs_out() -> None:
    full = plan()
    cut = plan(max_tokens=full.output_tokens - 1)  # one token short: inside the second call's JSON
    assert cut.stop_reason == "max_tokens" and cut.output_tokens == full.output_tokens - 1 == count_output(cut)
    assert calls(cut) == ["get_time", "get_weather"] and cut.blocks[2].text == full.blocks[2].text[:-1]
    preface = count(full.blocks[0].text)
    early = plan(max_tokens=preface)  # nothing left after the preface: the turn ends in the first call
    assert early.stop_reason == "max_tokens" and calls(early) == ["get_time"] and early.output_tokens == preface


def _two_calls_history(results: list[dict]) -> list[dict]:
    assistant = {"role": "assistant", "content": [
        {"type": "text", "text": "I'll use the get_time and get_weather tools."},
        {"type": "tool_use", "id": "toolu_a", "name": "get_time", "input": {}},
        {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"location": "Lisbon"}}]}
    return [*ASK, assistant, {"role": "user", "content": results}]


def test_several_tool_results_pair_and_are_each_acknowledged() -> None:
    reply = plan(_two_calls_history([
        {"type": "tool_result", "tool_use_id": "toolu_a", "content": "noon"},
        {"type": "tool_result", "tool_use_id": "toolu_b", "content": "sunny", "is_error": False},
        {"type": "text", "text": "Thanks"}]), max_tokens=300)
    text = reply.blocks[0].text
    assert text.startswith("The get_time tool returned: noon. The get_weather tool returned: sunny.")
    assert calls(reply) == []  # the results do not trigger new calls; the user's last text names no tool


@pytest.mark.parametrize("results, message", [
    ([{"type": "tool_result", "tool_use_id": "toolu_a", "content": "noon"}],
     "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_b."),
    ([{"type": "tool_result", "tool_use_id": "toolu_b", "content": "x"},
      {"type": "tool_result", "tool_use_id": "toolu_zzz", "content": "y"}],
     "messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_zzz."),
    ([{"type": "tool_result", "tool_use_id": "toolu_a", "content": "x"}, {"type": "text", "text": "and"},
      {"type": "tool_result", "tool_use_id": "toolu_b", "content": "y"}],
     "messages.2.content.2: `tool_result` blocks must come first"),
])
def test_multi_result_pairing_is_validated(results: list[dict], message: str) -> None:
    with pytest.raises(ApiError) as info:
        plan(_two_calls_history(results))
    assert info.value.status == 400 and info.value.message.startswith(message)


# -- prefill rule ------------------------------------------------------------------------

def test_catalog_marks_the_4_6_generation_and_newer() -> None:
    assert {"claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-7", "claude-sonnet-5-5"} <= set(NO_PREFILL)
    for model in ("claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5", EMULATOR_MODEL):
        assert catalog.get(model).accepts_prefill


@pytest.mark.parametrize("model", NO_PREFILL)
@pytest.mark.parametrize("prefill", ["The answer is", "", [{"type": "text", "text": "Well"}]])
def test_prefill_is_refused_by_newer_models(model: str, prefill) -> None:
    body = {"model": model, "max_tokens": 50,
            "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": prefill}]}
    with pytest.raises(ApiError) as info:
        parse_messages(body)
    assert info.value.status == 400 and info.value.param == "messages"
    assert info.value.message.startswith(f"Prefilling assistant messages is not supported for {model}")
    body["messages"] = body["messages"][:1]
    parse_messages(body)  # the same request without the prefill is fine


# -- the official anthropic SDK over HTTP ------------------------------------------------

async def test_sdk_streams_two_calls_and_round_trips_two_results(client: anthropic.AsyncAnthropic) -> None:
    pieces: dict[int, list[str]] = {}
    async with client.messages.stream(model=EMULATOR_MODEL, max_tokens=300, tools=[WEATHER, TIME],
                                      messages=ASK) as stream:
        async for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                pieces.setdefault(event.index, []).append(event.delta.partial_json)
        first = await stream.get_final_message()
    assert first.stop_reason == "tool_use"
    uses = [b for b in first.content if b.type == "tool_use"]
    assert [u.name for u in uses] == ["get_time", "get_weather"] and uses[0].id != uses[1].id
    assert uses[1].input == {"location": "Lisbon"}
    assert sorted(pieces) == [1, 2]  # block 0 is the preface text
    assert json.loads("".join(pieces[2])) == uses[1].input and len(pieces[2]) > 1

    history = [*ASK, {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
               {"role": "user", "content": [
                   {"type": "tool_result", "tool_use_id": uses[0].id, "content": "09:15"},
                   {"type": "tool_result", "tool_use_id": uses[1].id, "content": "rain", "is_error": True}]}]
    answer = await client.messages.create(model=EMULATOR_MODEL, max_tokens=300, tools=[WEATHER, TIME],
                                          messages=history)
    assert answer.stop_reason == "end_turn"
    assert answer.content[0].text.startswith(
        "The get_time tool returned: 09:15. The get_weather tool reported an error: rain.")
    with pytest.raises(anthropic.BadRequestError, match=f"immediately after: {uses[1].id}"):
        await client.messages.create(model=EMULATOR_MODEL, max_tokens=50, tools=[WEATHER, TIME],
                                     messages=[*history[:2], {"role": "user", "content": [history[2]["content"][0]]}])


async def test_sdk_disable_parallel_and_bad_flag(client: anthropic.AsyncAnthropic) -> None:
    one = await client.messages.create(model=EMULATOR_MODEL, max_tokens=300, tools=[WEATHER, TIME], messages=ASK,
                                       tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    assert [b.name for b in one.content if b.type == "tool_use"] == ["get_time"]
    with pytest.raises(anthropic.BadRequestError) as info:
        await client.messages.create(model=EMULATOR_MODEL, max_tokens=300, tools=[WEATHER, TIME], messages=ASK,
                                     tool_choice={"type": "auto", "disable_parallel_tool_use": "no"})
    assert info.value.status_code == 400
    assert info.value.body["error"] == {
        "type": "invalid_request_error",
        "message": "tool_choice.auto.disable_parallel_tool_use: Input should be a valid boolean"}


@pytest.mark.filterwarnings("ignore:The model 'claude-sonnet-4-5' is deprecated")
async def test_sdk_prefill_refused_on_sonnet_4_6_and_kept_on_older(client: anthropic.AsyncAnthropic) -> None:
    prefilled = [{"role": "user", "content": "Tell me about the Hatter"}, {"role": "assistant", "content": "The"}]
    with pytest.raises(anthropic.BadRequestError, match="Prefilling assistant messages is not supported") as info:
        await client.messages.create(model="claude-sonnet-4-6", max_tokens=30, messages=prefilled)
    assert info.value.body["error"]["type"] == "invalid_request_error"
    for model in ("claude-sonnet-4-5", EMULATOR_MODEL):
        reply = await client.messages.create(model=model, max_tokens=30, messages=prefilled)
        assert reply.content and reply.content[0].text.startswith(" ")  # continues "The"


# -- this project's Anthropic provider ---------------------------------------------------

async def run(api_base: str, messages: list, model: str = EMULATOR_MODEL, **kwargs) -> tuple[TurnAccumulator, list]:
    acc, parts = TurnAccumulator(), []
    async for part in Anthropic.create_async_generator(model, messages, api_key="sk-provider", api_base=api_base,
                                                       max_retries=0, **kwargs):
        acc.add(part)
        parts.append(part)
    return acc, parts


@pytest.mark.parametrize("stream", [True, False])
async def test_provider_two_tool_calls_round_trip(emu: Emulator, stream: bool) -> None:
    first, parts = await run(emu.api_base, ASK, stream=stream, tools=[WEATHER, TIME], max_tokens=300)
    tool_parts = [p for p in parts if isinstance(p, ToolCalls)]
    assert [len(p.calls) for p in tool_parts] == [1, 1]  # one ToolCalls part per tool_use block
    assert [c.name for c in first.tool_calls] == ["get_time", "get_weather"]
    assert first.tool_calls[1].arguments == {"location": "Lisbon"} and first.finish.reason == "tool_calls"
    message = first.to_message()
    assert [b["type"] for b in message["content"]] == ["text", "tool_use", "tool_use"]
    results = {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": c.id, "content": text}
        for c, text in zip(first.tool_calls, ("10:00", "windy"), strict=True)]}
    second, _ = await run(emu.api_base, [*ASK, message, results], stream=stream, tools=[WEATHER, TIME],
                          max_tokens=300)
    assert second.text.startswith("The get_time tool returned: 10:00. The get_weather tool returned: windy.")
    assert second.finish.reason == "stop"


async def test_provider_refuses_prefill_before_any_request(replay_server: ReplayServer) -> None:
    prefilled = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello,"}]
    for model in ("claude-sonnet-4-6", "claude-opus-5-5"):
        with pytest.raises(errors.ParameterError) as info:
            await run(replay_server.api_base, prefilled, model=model, stream=True)
        assert info.value.param == "messages"
        assert "remove the trailing assistant turn or pick a model that allows prefill" in str(info.value)
    assert replay_server.requests == []  # refused before anything was sent


async def test_provider_sends_prefill_where_allowed(emu: Emulator) -> None:
    prefilled = [{"role": "user", "content": "Tell me about the Queen"}, {"role": "assistant", "content": "The"}]
    for model in ("claude-sonnet-4-5", EMULATOR_MODEL):
        acc, _ = await run(emu.api_base, prefilled, model=model, stream=True, max_tokens=20)
        assert acc.text.startswith(" ")
    # An id the catalog does not know is not checked here: the server decides (the emulator says 404).
    with pytest.raises(errors.NotFoundError):
        await run(emu.api_base, prefilled, model="claude-unknown-9", stream=True, max_tokens=20)


async def test_files_only_turn_is_a_new_user_turn_not_a_prefill(emu: Emulator) -> None:
    """The UI sends a files-only prompt as an empty user message plus media: the media must become
    the last user turn (not join an earlier one and leave the assistant's answer as a prefill)."""
    buf = io.BytesIO()
    Image.new("RGB", (30, 20)).save(buf, "PNG")
    history = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there."},
               {"role": "user", "content": ""}]
    acc, _ = await run(emu.api_base, history, model="claude-sonnet-4-6", stream=True, max_tokens=60,
                       media=[(buf.getvalue(), "pic.png")])
    assert acc.text.startswith("I received a PNG image (30x20 px")


# -- the OpenAI-compatible endpoint ------------------------------------------------------

OPENAI_TOOLS = [{"type": "function", "function": {"name": t["name"], "parameters": t["input_schema"]}}
                for t in (WEATHER, TIME)]


async def test_openai_endpoint_parallel_tool_calls(emu: Emulator) -> None:
    async with openai.AsyncOpenAI(base_url=emu.api_base, api_key="sk-test", max_retries=0) as oai:
        done = await oai.chat.completions.create(model=EMULATOR_MODEL, messages=ASK, tools=OPENAI_TOOLS)
        message = done.choices[0].message
        assert done.choices[0].finish_reason == "tool_calls"
        assert [c.function.name for c in message.tool_calls] == ["get_time", "get_weather"]
        stream = await oai.chat.completions.create(model=EMULATOR_MODEL, messages=ASK, tools=OPENAI_TOOLS,
                                                   stream=True)
        heads = [(tc.index, tc.function.name) async for chunk in stream if chunk.choices
                 for tc in chunk.choices[0].delta.tool_calls or () if tc.id]
        assert heads == [(0, "get_time"), (1, "get_weather")]
        single = await oai.chat.completions.create(model=EMULATOR_MODEL, messages=ASK, tools=OPENAI_TOOLS,
                                                   parallel_tool_calls=False)
        assert [c.function.name for c in single.choices[0].message.tool_calls] == ["get_time"]
        history = [*ASK, message.model_dump(exclude_none=True),
                   *({"role": "tool", "tool_call_id": c.id, "content": r}
                     for c, r in zip(message.tool_calls, ("08:00", "fog"), strict=True))]
        answer = await oai.chat.completions.create(model=EMULATOR_MODEL, messages=history, tools=OPENAI_TOOLS)
        assert answer.choices[0].message.content.startswith(
            "The get_time tool returned: 08:00. The get_weather tool returned: fog.")
