"""Prompt caching in the emulator: the prefix/cache rule with an injected clock, then over real
HTTP with the official SDK and this project's provider, plus the catalog's cache pricing."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import anthropic
import pytest

from playground import catalog
from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator
from playground.emulator.apierror import ApiError
from playground.emulator.caching import PromptCache
from playground.emulator.request import parse_messages
from playground.emulator.tokenizer import count
from playground.providers import Anthropic
from playground.responses import Usage
from playground.turn import TurnAccumulator

pytestmark = pytest.mark.timeout(60)

EPH = {"type": "ephemeral"}
EPH_1H = {"type": "ephemeral", "ttl": "1h"}
HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}


def words(n: int, tag: str = "w") -> str:
    """Exactly ``n`` emulator tokens: ``tag0 tag1 ...`` (a word with its leading space is one token)."""
    return " ".join(f"{tag}{i}" for i in range(n))


LONG = words(300)  # above playground-tiny's 128-token minimum, below the real models' 1024


class Clock:
    """A clock the test moves by hand: expiry without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def body(system: Any = None, messages: list[dict] | None = None, model: str = EMULATOR_MODEL,
         **extra: Any) -> dict:
    out: dict[str, Any] = {"model": model, "max_tokens": 16,
                           "messages": messages or [{"role": "user", "content": "Hello there"}], **extra}
    if system is not None:
        out["system"] = system
    return out


def cached_system(text: str = LONG, cc: dict = EPH) -> list[dict]:
    return [{"type": "text", "text": text, "cache_control": cc}]


def run(cache: PromptCache, request_body: dict):
    req = parse_messages(request_body)
    usage = cache.apply(req.cache, req.info.min_cache_tokens)
    # The split always adds back up to the total that count_tokens reports.
    assert usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens == req.input_tokens
    return req, usage


# ----------------------------------------------------------------------------- the rule, offline

def test_write_then_read_the_same_prefix() -> None:
    cache = PromptCache(clock=Clock())
    req, first = run(cache, body(cached_system()))
    prefix = req.cache.positions[0].tokens
    assert prefix == 3 + 300  # the request's framing tokens, then the system text
    assert (first.write_5m, first.write_1h, first.cache_read_input_tokens) == (prefix, 0, 0)
    assert first.input_tokens == req.input_tokens - prefix > 0
    _, second = run(cache, body(cached_system()))
    assert (second.cache_read_input_tokens, second.cache_creation_input_tokens) == (prefix, 0)
    assert second.input_tokens == first.input_tokens
    assert second.usage_fields()["cache_creation"] == {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}


def test_a_5_minute_entry_expires_and_a_read_refreshes_it() -> None:
    clock = Clock()
    cache = PromptCache(clock=clock)
    run(cache, body(cached_system()))
    clock.now += 299
    assert run(cache, body(cached_system()))[1].cache_read_input_tokens > 0  # read: expiry now +300 from here
    clock.now += 299
    assert run(cache, body(cached_system()))[1].cache_read_input_tokens > 0
    clock.now += 301
    _, usage = run(cache, body(cached_system()))
    assert usage.cache_read_input_tokens == 0 and usage.write_5m > 0  # expired: written again


def test_a_1_hour_entry_outlives_5_minutes_then_expires() -> None:
    clock = Clock()
    cache = PromptCache(clock=clock)
    _, first = run(cache, body(cached_system(cc=EPH_1H)))
    assert first.write_1h > 0 and first.write_5m == 0
    assert first.usage_fields()["cache_creation"]["ephemeral_1h_input_tokens"] == first.write_1h
    clock.now += 3599
    assert run(cache, body(cached_system(cc=EPH_1H)))[1].cache_read_input_tokens == first.write_1h
    clock.now += 3601
    _, late = run(cache, body(cached_system(cc=EPH_1H)))
    assert late.cache_read_input_tokens == 0 and late.write_1h == first.write_1h


def test_prefixes_below_the_model_minimum_silently_do_not_cache() -> None:
    assert catalog.EMULATOR_INFO.min_cache_tokens == 128
    assert {m.min_cache_tokens for m in catalog.MODELS} == {1024}
    cache = PromptCache(clock=Clock())
    for _ in range(2):  # 3 + 100 tokens < 128: neither written nor read
        req, usage = run(cache, body(cached_system(words(100))))
        assert usage.input_tokens == req.input_tokens and usage.cache_creation_input_tokens == 0
    # 303 tokens caches on playground-tiny but not on a real model (minimum 1024) ...
    _, real = run(cache, body(cached_system(), model="claude-haiku-4-5"))
    assert real.cache_creation_input_tokens == 0
    # ... where 1100 tokens do.
    _, big = run(cache, body(cached_system(words(1100)), model="claude-haiku-4-5"))
    assert big.write_5m == 3 + 1100
    assert len(cache) == 1


def test_only_the_last_breakpoint_counts_with_a_partial_read_and_a_split_write() -> None:
    cache = PromptCache(clock=Clock())
    req, first = run(cache, body(cached_system()))
    system_prefix = req.cache.positions[0].tokens
    assert first.write_5m == system_prefix
    # Same system breakpoint, plus a later 1h breakpoint on a long user message.
    messages = [{"role": "user", "content": [{"type": "text", "text": words(200, "u"), "cache_control": EPH_1H},
                                             {"type": "text", "text": "And a question?"}]}]
    req2, second = run(cache, body(cached_system(), messages))
    message_prefix = req2.cache.positions[1].tokens
    assert second.cache_read_input_tokens == system_prefix
    assert (second.write_5m, second.write_1h) == (0, message_prefix - system_prefix)
    assert second.input_tokens == req2.input_tokens - message_prefix > 0
    # Now the whole longest prefix is cached.
    _, third = run(cache, body(cached_system(), messages))
    assert (third.cache_read_input_tokens, third.cache_creation_input_tokens) == (message_prefix, 0)


def test_a_fresh_write_is_split_by_the_ttl_of_each_breakpoint_and_each_prefix_is_stored() -> None:
    cache = PromptCache(clock=Clock())
    tool = {"name": "lookup", "description": words(200, "d"), "input_schema": {"type": "object"},
            "cache_control": EPH_1H}
    req, usage = run(cache, body(cached_system(), tools=[tool]))
    tool_prefix, system_prefix = req.cache.positions[0].tokens, req.cache.positions[1].tokens
    assert (usage.write_1h, usage.write_5m) == (tool_prefix, system_prefix - tool_prefix)
    # A request sharing only the tools reads the tools' prefix (stored by its own breakpoint).
    _, other = run(cache, body(cached_system(words(200, "x")), tools=[tool]))
    assert other.cache_read_input_tokens == tool_prefix


def test_changing_a_block_before_the_breakpoint_misses() -> None:
    cache = PromptCache(clock=Clock())
    tool = {"name": "lookup", "input_schema": {"type": "object"}}
    run(cache, body(cached_system(), tools=[tool]))
    changed_tool = {"name": "lookup2", "input_schema": {"type": "object"}}
    _, usage = run(cache, body(cached_system(), tools=[changed_tool]))
    assert usage.cache_read_input_tokens == 0 and usage.write_5m > 0
    _, usage = run(cache, body(cached_system(LONG + " changed"), tools=[tool]))
    assert usage.cache_read_input_tokens == 0 and usage.write_5m > 0
    # The model is part of the key too.
    _, a = run(cache, body(cached_system(words(1100)), model="claude-haiku-4-5"))
    _, b = run(cache, body(cached_system(words(1100)), model="claude-sonnet-4-5"))
    assert a.write_5m == b.write_5m > 0 and b.cache_read_input_tokens == 0


def test_a_moved_breakpoint_reads_the_earlier_prefix_within_the_lookback() -> None:
    """The usual chat pattern: the breakpoint rides on the newest user turn."""
    cache = PromptCache(clock=Clock())
    turn1 = [{"role": "user", "content": [{"type": "text", "text": LONG, "cache_control": EPH}]}]
    req1, first = run(cache, body(messages=turn1))
    turn2 = [{"role": "user", "content": [{"type": "text", "text": LONG}]},
             {"role": "assistant", "content": "Noted."},
             {"role": "user", "content": [{"type": "text", "text": "Go on please", "cache_control": EPH}]}]
    req2, second = run(cache, body(messages=turn2))
    assert second.cache_read_input_tokens == first.write_5m == req1.input_tokens
    assert second.write_5m == req2.input_tokens - req1.input_tokens and second.input_tokens == 0


def test_top_level_cache_control_marks_the_last_block() -> None:
    cache = PromptCache(clock=Clock())
    messages = [{"role": "user", "content": LONG}]
    req, first = run(cache, body(messages=messages, cache_control=EPH))
    assert first.write_5m == req.input_tokens and first.input_tokens == 0
    assert run(cache, body(messages=messages, cache_control=EPH))[1].cache_read_input_tokens == req.input_tokens


def test_block_prefixes_add_up_to_the_counted_input() -> None:
    tools = [{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
             {"name": "clock", "input_schema": {"type": "object"}}]
    messages = [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
                                          {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                                           "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny, 21 C"},
                                     {"type": "text", "text": "Thanks!"}]},
    ]
    req = parse_messages(body([{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}],
                              messages, tools=tools))
    tokens = [p.tokens for p in req.cache.positions]
    assert len(tokens) == 2 + 2 + 5 and tokens == sorted(tokens)
    compact = json.dumps(tools[:1], separators=(",", ":"), sort_keys=True)
    assert tokens[0] == 3 + count(compact)  # the first tool's prefix: framing + that tool as a list
    assert tokens[3] == 3 + count(json.dumps(tools, separators=(",", ":"), sort_keys=True)) + count("Be brief.Be kind.")
    assert tokens[-1] == req.cache.total_tokens == req.input_tokens


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = PromptCache(clock=Clock(), max_entries=2)
    for tag in ("a", "b"):
        run(cache, body(cached_system(words(200, tag))))
    run(cache, body(cached_system(words(200, "a"))))  # "a" is now the most recently used
    run(cache, body(cached_system(words(200, "c"))))  # evicts "b"
    assert len(cache) == 2
    assert run(cache, body(cached_system(words(200, "a"))))[1].cache_read_input_tokens > 0
    assert run(cache, body(cached_system(words(200, "b"))))[1].cache_read_input_tokens == 0


def five_breakpoints() -> dict:
    content = [{"type": "text", "text": f"part {i}", "cache_control": EPH} for i in range(4)]
    return body(cached_system(), [{"role": "user", "content": content}])


@pytest.mark.parametrize("request_body, message", [
    (five_breakpoints(), "A maximum of 4 blocks with cache_control may be provided. Found 5."),
    (body(cached_system(cc={"type": "ephemeral", "ttl": "10m"})),
     "system.0.cache_control.ephemeral.ttl: Input should be '5m' or '1h'"),
    (body(cached_system(cc={"type": "persistent"})), "system.0.cache_control: Input tag 'persistent' found"),
    (body(cached_system(cc="ephemeral")), "system.0.cache_control: Input should be a valid dictionary"),
    (body(cached_system(cc={"type": "ephemeral", "scope": "org"})),
     "system.0.cache_control.ephemeral.scope: Extra inputs are not permitted"),
    (body(cache_control={"type": "ephemeral", "ttl": 60}), "cache_control.ephemeral.ttl: Input should be"),
])
def test_bad_cache_control_is_a_400(request_body: dict, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_messages(request_body)
    assert caught.value.status == 400 and caught.value.error_type == "invalid_request_error"
    assert caught.value.message.startswith(message)


def test_four_breakpoints_are_fine() -> None:
    req = parse_messages(body(messages=[{"role": "user", "content": [
        {"type": "text", "text": f"part {i}", "cache_control": EPH} for i in range(4)]}]))
    assert len(req.cache.breakpoints) == 4


# ----------------------------------------------------------------------------- over HTTP

async def sdk_usage(client: anthropic.AsyncAnthropic, stream: bool, **kwargs: Any) -> Any:
    """The usage of one call: from ``message_start`` when streaming (where the API puts the
    input-side counts), else from the JSON body."""
    if not stream:
        return (await client.messages.create(**kwargs)).usage
    events = await client.messages.create(stream=True, **kwargs)
    usage = None
    async for ev in events:
        if ev.type == "message_start":
            usage = ev.message.usage
    return usage


@pytest.mark.parametrize("stream", [False, True])
async def test_sdk_sees_a_write_then_a_read(client: anthropic.AsyncAnthropic, stream: bool) -> None:
    kwargs: dict[str, Any] = {"model": EMULATOR_MODEL, "max_tokens": 20, "system": cached_system(),
                              "messages": [{"role": "user", "content": "Tell me about the Queen"}]}
    total = (await client.messages.count_tokens(model=EMULATOR_MODEL, system=kwargs["system"],
                                                messages=kwargs["messages"])).input_tokens
    first = await sdk_usage(client, stream, **kwargs)
    assert first.cache_creation_input_tokens > 0 and first.cache_read_input_tokens == 0
    assert first.cache_creation.ephemeral_5m_input_tokens == first.cache_creation_input_tokens
    assert first.cache_creation.ephemeral_1h_input_tokens == 0
    second = await sdk_usage(client, stream, **kwargs)
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert second.input_tokens < total
    for usage in (first, second):
        assert usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens == total
    # count_tokens keeps reporting the total, cached or not.
    again = await client.messages.count_tokens(model=EMULATOR_MODEL, system=kwargs["system"],
                                               messages=kwargs["messages"])
    assert again.input_tokens == total


async def test_sdk_final_streamed_message_keeps_the_cache_counts(client: anthropic.AsyncAnthropic) -> None:
    kwargs: dict[str, Any] = {"model": EMULATOR_MODEL, "max_tokens": 20, "system": cached_system(cc=EPH_1H),
                              "messages": [{"role": "user", "content": "Tell me about the Queen"}]}
    await client.messages.create(**kwargs)
    async with client.messages.stream(**kwargs) as stream:
        final = await stream.get_final_message()
    assert final.usage.cache_read_input_tokens == 3 + 300 and final.usage.output_tokens > 0


async def test_http_expiry_with_the_servers_clock_and_errors_in_the_real_shape(emu: Emulator) -> None:
    clock = Clock()
    emu.settings.prompt_cache = PromptCache(clock=clock)
    request_body = body(cached_system())
    async with aiohttp.ClientSession() as http:
        async def usage_of(b: dict) -> tuple[int, dict]:
            async with http.post(emu.base_url + "/v1/messages", json=b, headers=HEADERS) as resp:
                return resp.status, await resp.json()

        assert (await usage_of(request_body))[1]["usage"]["cache_creation_input_tokens"] == 303
        assert (await usage_of(request_body))[1]["usage"]["cache_read_input_tokens"] == 303
        clock.now += 301
        usage = (await usage_of(request_body))[1]["usage"]
        assert usage["cache_read_input_tokens"] == 0 and usage["cache_creation"]["ephemeral_5m_input_tokens"] == 303
        status, error = await usage_of(five_breakpoints())
        assert status == 400 and error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
        assert error["error"]["message"] == "A maximum of 4 blocks with cache_control may be provided. Found 5."
        assert error["request_id"].startswith("req_")
        async with http.post(emu.base_url + "/v1/messages/count_tokens", headers=HEADERS,
                             json={"model": EMULATOR_MODEL, "messages": request_body["messages"],
                                   "system": cached_system(cc={"type": "ephemeral", "ttl": "2h"})}) as resp:
            assert resp.status == 400
            assert "ttl: Input should be '5m' or '1h'" in (await resp.json())["error"]["message"]


@pytest.mark.parametrize("stream", [True, False])
async def test_provider_usage_carries_the_cache_counts(emu: Emulator, stream: bool) -> None:
    async def turn(cc: dict) -> Usage:
        acc = TurnAccumulator()
        async for part in Anthropic.create_async_generator(
                EMULATOR_MODEL, [{"role": "user", "content": "Tell me about Alice."}], api_key="sk-test-key",
                api_base=emu.api_base, stream=stream, max_tokens=20,
                system=[{"type": "text", "text": LONG, "cache_control": cc}]):
            acc.add(part)
        assert acc.usage is not None
        return acc.usage

    first = await turn(EPH_1H)
    assert first.cache_creation_input_tokens == first.cache_write_1h_tokens == 303
    assert first.cache_write_5m_tokens == 0 and first.cache_read_input_tokens == 0
    second = await turn(EPH_1H)
    assert second.cache_read_input_tokens == 303 and second.cache_creation_input_tokens == 0
    assert second.input_tokens == first.input_tokens > 0
    assert second.prompt_tokens == first.prompt_tokens == 303 + first.input_tokens


# ----------------------------------------------------------------------------- pricing

def test_cost_prices_1h_cache_writes_at_twice_the_input_price() -> None:
    model = "claude-sonnet-4-6"  # $3 / MTok input
    assert catalog.cost_usd(model, 0, 0, 1_000_000) == pytest.approx(3.75)
    assert catalog.cost_usd(model, 0, 0, 1_000_000, cache_write_1h_tokens=1_000_000) == pytest.approx(6.0)
    assert catalog.cost_usd(model, 0, 0, 1_000_000, 0, cache_write_1h_tokens=400_000) == pytest.approx(
        0.6 * 3.75 + 0.4 * 6.0)
    # Existing positional callers are unchanged.
    assert catalog.cost_usd(model, 1000, 2000, 100, 50) == pytest.approx(
        (1000 * 3 + 2000 * 15 + 100 * 3.75 + 50 * 0.3) / 1_000_000)
    assert catalog.cost_usd("no-such-model", 1, 1) is None
    with pytest.raises(ValueError, match="cache_write_1h_tokens"):
        catalog.cost_usd(model, 0, 0, 10, cache_write_1h_tokens=11)


def test_usage_reads_the_ttl_split_from_cache_creation() -> None:
    usage = Usage(1, 2, 30, 0, extra={"cache_creation": {"ephemeral_5m_input_tokens": 10,
                                                         "ephemeral_1h_input_tokens": 20}})
    assert (usage.cache_write_5m_tokens, usage.cache_write_1h_tokens) == (10, 20)
    assert Usage().cache_write_1h_tokens == 0
    assert Usage(extra={"cache_creation": None}).cache_write_5m_tokens == 0
