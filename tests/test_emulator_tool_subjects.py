"""The emulator calls a tool the user asks about without naming it: "What is the weather in SF?" calls
``get_weather`` (its name's subject word appears), as the SDK's own tool examples expect; words that
only partly match, a tool result, or a deferred tool do not."""

from __future__ import annotations

import anthropic
import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator
from playground.emulator.compose import pick_tools
from playground.emulator.request import parse_messages

pytestmark = pytest.mark.timeout(60)

WEATHER = {"name": "get_weather", "description": "Weather for a city",
           "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}}}
FLIGHTS = {"name": "searchFlightPrices", "description": "Flight prices",
           "input_schema": {"type": "object", "properties": {}}}


def picked(text: str, *tools: dict, **extra: object) -> list[str]:
    req = parse_messages({"model": EMULATOR_MODEL, "max_tokens": 100, "tools": list(tools),
                          "messages": [{"role": "user", "content": text}], **extra})
    return [t["name"] for t in pick_tools(req)]


def test_a_tool_is_called_when_every_subject_word_of_its_name_is_asked_about() -> None:
    assert picked("What is the weather in SF?", WEATHER) == ["get_weather"]
    assert picked("Any flight prices to Oslo? And the weather there?", WEATHER, FLIGHTS) == [
        "searchFlightPrices", "get_weather"]  # in order of first mention
    assert picked("Any flights to Oslo?", FLIGHTS) == []  # "price" is not asked about: no call
    assert picked("Is it weatherproof?", WEATHER) == []  # whole words only
    assert picked("What is the weather in SF?", WEATHER, tool_choice={"type": "none"}) == []


def test_a_deferred_tool_is_only_called_by_its_name() -> None:
    deferred = {**WEATHER, "defer_loading": True}
    assert picked("What is the weather in SF?", deferred) == []
    assert picked("Use get_weather for SF", deferred) == ["get_weather"]


async def test_the_sdk_weather_round_trip_ends_with_an_answer() -> None:
    async with Emulator() as emu:
        client = anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="x")
        ask = {"role": "user", "content": "What is the weather in SF?"}
        first = await client.messages.create(model=EMULATOR_MODEL, max_tokens=200, messages=[ask], tools=[WEATHER])
        assert first.stop_reason == "tool_use"
        call = next(b for b in first.content if b.type == "tool_use")
        assert call.name == "get_weather" and set(call.input) == {"location"}
        result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "73F"}]}
        second = await client.messages.create(model=EMULATOR_MODEL, max_tokens=200, tools=[WEATHER],
                                              messages=[ask, {"role": "assistant", "content": first.content}, result])
        assert second.stop_reason in ("end_turn", "max_tokens") and not any(b.type == "tool_use" for b in second.content)
