"""The official SDK (2.x, as installed) against the emulator: structured outputs through
``messages.create`` and ``messages.parse``, and the beta tool runner, which threads its turns."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import jsonschema
import pydantic
import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator

pytestmark = pytest.mark.timeout(60)

INVOICE = {"type": "object", "additionalProperties": False, "required": ["customer", "lines", "due", "status"],
           "properties": {
               "customer": {"type": "string"},
               "due": {"type": "string", "format": "date"},
               "status": {"enum": ["draft", "sent", "paid"]},
               "lines": {"type": "array", "minItems": 1, "items": {
                   "type": "object", "additionalProperties": False, "required": ["item", "qty"],
                   "properties": {"item": {"type": "string"}, "qty": {"type": "integer"},
                                  "note": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}}}}


class Line(pydantic.BaseModel):
    item: str
    qty: int


class Order(pydantic.BaseModel):
    customer: str
    lines: list[Line]
    rush: bool
    note: str | None = None


@pytest.fixture
async def recorded(emu: Emulator) -> Any:
    """An SDK client whose sent bodies are kept (an httpx event hook), to see what the SDK sends."""
    bodies: list[dict] = []

    async def keep(request: Any) -> None:
        if request.method == "POST":
            bodies.append(json.loads(request.content or b"{}"))

    http = anthropic.DefaultAsyncHttpxClient(event_hooks={"request": [keep]})
    async with anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="sk-test", max_retries=0,
                                        http_client=http) as client:
        yield client, bodies


async def test_create_with_output_config_format_validates(client: anthropic.AsyncAnthropic) -> None:
    for seed in range(5):
        msg = await client.messages.create(
            model=EMULATOR_MODEL, max_tokens=800, messages=[{"role": "user", "content": "Invoice the Hatter"}],
            output_config={"format": {"type": "json_schema", "schema": INVOICE}, "effort": "low"},
            extra_headers={"x-emulator-seed": str(seed)})
        assert msg.stop_reason == "end_turn"
        jsonschema.validate(json.loads(msg.content[0].text), INVOICE,
                            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


async def test_stream_with_output_config_format_validates(client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(model=EMULATOR_MODEL, max_tokens=800,
                                      messages=[{"role": "user", "content": "Invoice the Queen"}],
                                      output_config={"format": {"type": "json_schema", "schema": INVOICE}}) as stream:
        text = "".join([piece async for piece in stream.text_stream])
    jsonschema.validate(json.loads(text), INVOICE)


async def test_parse_gives_parsed_output(recorded: Any) -> None:
    client, bodies = recorded
    msg = await client.messages.parse(model=EMULATOR_MODEL, max_tokens=800, output_format=Order,
                                      messages=[{"role": "user", "content": "Order tea for the Dormouse"}])
    order = msg.parsed_output
    assert isinstance(order, Order) and order.lines and all(isinstance(line, Line) for line in order.lines)
    assert Order.model_validate_json(msg.content[0].text) == order
    sent = bodies[-1]["output_config"]["format"]
    assert sent["type"] == "json_schema" and sent["schema"]["additionalProperties"] is False  # the SDK's transform


async def test_unsupported_schema_is_a_bad_request_error(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="minimum: numeric bounds are not supported"):
        await client.messages.create(model=EMULATOR_MODEL, max_tokens=50, messages=[{"role": "user", "content": "x"}],
                                     output_config={"format": {"type": "json_schema", "schema": {
                                         "type": "integer", "minimum": 0}}})


async def test_tool_runner_round_trip_over_a_thread(recorded: Any) -> None:
    client, bodies = recorded
    calls: list[str] = []

    @anthropic.beta_async_tool
    async def get_weather(city: str) -> str:
        """The weather in a city."""
        calls.append(city)
        return f"Sunny in {city}"

    runner = client.beta.messages.tool_runner(model=EMULATOR_MODEL, max_tokens=300, tools=[get_weather],
                                              messages=[{"role": "user", "content": "Use get_weather for Paris"}])
    replies = [message async for message in runner]
    assert [m.stop_reason for m in replies] == ["tool_use", "end_turn"]
    assert len(calls) == 1
    assert "The get_weather tool returned: Sunny in" in replies[-1].content[0].text
    # The runner threads its turns: a create, then a continue that sends only the tool result.
    assert bodies[0]["thread"] == {"type": "create"} and len(bodies[0]["messages"]) == 1
    assert bodies[1]["thread"] == {"type": "continue", "previous_message_id": replies[0].id}
    assert [b["type"] for b in bodies[1]["messages"][0]["content"]] == ["tool_result"]
    assert "tools" not in bodies[1]
