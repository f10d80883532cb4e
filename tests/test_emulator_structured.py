"""Structured outputs against the emulator over real HTTP: replies that validate against the
schema (checked with ``jsonschema``), streamed and not, sampled (seeds and temperature change
them), strict tools, OpenAI's ``response_format``, and the API's 400s for what it does not support."""

from __future__ import annotations

import datetime
import ipaddress
import json
import uuid
from typing import Any

import aiohttp
import jsonschema
import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator

FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER  # JSON Schema 2020-12's formats (RFC 3339 times)
HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}
PROMPT = [{"role": "user", "content": "Describe the White Rabbit"}]
CHARACTER = {
    "type": "object", "additionalProperties": False,
    "required": ["name", "kind", "tags", "born", "seen_at", "contact", "id", "home", "mood", "rank"],
    "properties": {
        "name": {"type": "string", "description": "who"},
        "kind": {"enum": ["rabbit", "cat", "queen", "hatter"]},
        "species": {"const": "fictional"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "born": {"type": "string", "format": "date"},
        "seen_at": {"type": "string", "format": "date-time"},
        "at": {"type": "string", "format": "time"},
        "late_by": {"type": "string", "format": "duration"},
        "contact": {"type": "string", "format": "email"},
        "site": {"type": "string", "format": "uri"},
        "host": {"type": "string", "format": "hostname"},
        "v4": {"type": "string", "format": "ipv4"},
        "v6": {"type": "string", "format": "ipv6"},
        "id": {"type": "string", "format": "uuid"},
        "home": {"$ref": "#/$defs/place"},
        "mood": {"anyOf": [{"type": "integer"}, {"type": "null"}, {"type": "boolean"}]},
        "rank": {"allOf": [{"$ref": "#/$defs/ranked"}, {"type": "object", "required": ["level"]}]},
        "score": {"type": ["number", "string"]},
    },
    "$defs": {
        "place": {"type": "object", "additionalProperties": False, "required": ["city", "floors"],
                  "properties": {"city": {"type": "string"}, "floors": {"type": "integer"},
                                 "rooms": {"type": "array", "items": {"$ref": "#/$defs/room"}}}},
        "room": {"type": "object", "additionalProperties": False, "required": ["size"],
                 "properties": {"size": {"type": "number"}}},
        "ranked": {"type": "object", "additionalProperties": False, "required": ["level"],
                   "properties": {"level": {"type": "integer"}}},
    },
}


def formats_hold(value: dict) -> None:
    """The string formats, checked with the standard library (jsonschema checks only some by default)."""
    datetime.date.fromisoformat(value["born"])
    datetime.datetime.fromisoformat(value["seen_at"].replace("Z", "+00:00"))
    assert uuid.UUID(value["id"]).version == 4
    assert value["contact"].count("@") == 1 and value["contact"].split("@")[0].isalpha()
    if "at" in value:
        datetime.time.fromisoformat(value["at"].replace("Z", "+00:00"))
    if "v4" in value:
        ipaddress.IPv4Address(value["v4"])
    if "v6" in value:
        ipaddress.IPv6Address(value["v6"])
    if "site" in value:
        assert value["site"].startswith("https://")


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, emu: Emulator, body: dict, headers: dict | None = None,
               path: str = "/v1/messages") -> tuple[int, Any]:
    async with http.post(emu.base_url + path, json=body, headers=headers or HEADERS) as resp:
        if resp.content_type == "text/event-stream":
            return resp.status, await resp.text()
        return resp.status, await resp.json(content_type=None)


def structured(schema: dict, **extra: Any) -> dict:
    return {"model": EMULATOR_MODEL, "max_tokens": 1000, "messages": PROMPT,
            "output_config": {"format": {"type": "json_schema", "schema": schema}}, **extra}


def streamed_text(raw: str) -> tuple[str, str]:
    """(the text of the streamed reply, its stop_reason)."""
    text, stop = "", ""
    for chunk in raw.split("\n\n"):
        data = next((line[6:] for line in chunk.splitlines() if line.startswith("data: ")), None)
        if not data:
            continue
        event = json.loads(data)
        if event["type"] == "content_block_delta" and event["delta"]["type"] == "text_delta":
            text += event["delta"]["text"]
        if event["type"] == "message_delta":
            stop = event["delta"]["stop_reason"]
    return text, stop


async def test_replies_validate_against_the_schema(http: aiohttp.ClientSession, emu: Emulator) -> None:
    optional_seen: set[str] = set()
    for seed in range(25):
        status, body = await post(http, emu, structured(CHARACTER), {**HEADERS, "x-emulator-seed": str(seed)})
        assert status == 200, body
        assert [b["type"] for b in body["content"]] == ["text"] and body["stop_reason"] == "end_turn"
        value = json.loads(body["content"][0]["text"])
        jsonschema.validate(value, CHARACTER, format_checker=FORMATS)
        formats_hold(value)
        optional_seen |= set(value) - set(CHARACTER["required"])
    assert optional_seen >= {"species", "at", "v4", "v6", "site"}  # optional properties do appear


async def test_stream_and_create_give_the_same_json(http: aiohttp.ClientSession, emu: Emulator) -> None:
    headers = {**HEADERS, "x-emulator-seed": "5"}
    _, whole = await post(http, emu, structured(CHARACTER), headers)
    status, raw = await post(http, emu, structured(CHARACTER, stream=True), headers)
    assert status == 200
    text, stop = streamed_text(raw)
    assert stop == "end_turn" and text == whole["content"][0]["text"]
    assert raw.count("text_delta") > 10  # the JSON arrives token by token, like prose


async def test_values_come_from_the_sampler(http: aiohttp.ClientSession, emu: Emulator) -> None:
    schema = {"type": "object", "additionalProperties": False, "required": ["kind", "words", "n"],
              "properties": {"kind": {"enum": ["a", "b", "c", "d"]}, "words": {"type": "string"},
                             "n": {"type": "integer"}}}

    async def values(temperature: float) -> list[dict]:
        out = []
        for seed in range(12):
            _, body = await post(http, emu, structured(schema, temperature=temperature),
                                 {**HEADERS, "x-emulator-seed": str(seed)})
            out.append(json.loads(body["content"][0]["text"]))
        return out

    hot, cold = await values(1.0), await values(0.0)
    assert len({v["kind"] for v in hot}) > 1 and len({v["words"] for v in hot}) > 1 and len({v["n"] for v in hot}) > 1
    assert len({json.dumps(v) for v in cold}) == 1  # temperature 0: every choice is the most likely one
    _, again = await post(http, emu, structured(schema), {**HEADERS, "x-emulator-seed": "3"})
    _, same = await post(http, emu, structured(schema), {**HEADERS, "x-emulator-seed": "3"})
    assert again["content"] == same["content"]


async def test_max_tokens_truncates_the_json(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, body = await post(http, emu, structured(CHARACTER, max_tokens=6))
    assert status == 200 and body["stop_reason"] == "max_tokens" and body["usage"]["output_tokens"] == 6
    with pytest.raises(json.JSONDecodeError):
        json.loads(body["content"][0]["text"])


async def test_legacy_top_level_output_format(http: aiohttp.ClientSession, emu: Emulator) -> None:
    schema = {"type": "array", "items": {"type": "boolean"}}
    body = {"model": EMULATOR_MODEL, "max_tokens": 100, "messages": PROMPT,
            "output_format": {"type": "json_schema", "schema": schema}}
    status, reply = await post(http, emu, body)
    assert status == 200, reply
    jsonschema.validate(json.loads(reply["content"][0]["text"]), schema)


@pytest.mark.parametrize(("schema", "message"), [
    ({"type": "integer", "minimum": 1}, "schema.minimum: numeric bounds are not supported"),
    ({"type": "object", "properties": {"n": {"type": "number", "multipleOf": 2}}},
     "schema.properties.n.multipleOf: numeric bounds are not supported"),
    ({"type": "string", "maxLength": 5}, "schema.maxLength: string length limits are not supported"),
    ({"type": "array", "items": {"type": "string"}, "minItems": 2}, "schema.minItems: minItems above 1"),
    ({"type": "array", "maxItems": 3}, "schema.maxItems: array constraints other than minItems 0 or 1"),
    ({"$ref": "#/$defs/node", "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}},
     "output_config.format.schema: Too many recursive definitions in schema"),
    ({"type": "object", "additionalProperties": True}, "schema.additionalProperties: only `false`"),
    ({"type": "string", "format": "credit-card"}, "schema.format: string format 'credit-card' is not supported"),
    ({"type": "string", "pattern": "^a+$"}, "schema.pattern: regular expression patterns"),
    ({"$ref": "https://example.com/s.json"}, "only local references"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}, "'b' is required but not defined"),
    ({"type": "thing"}, "schema.type: expected one of"),
])
async def test_unsupported_schemas_are_the_apis_400(http: aiohttp.ClientSession, emu: Emulator, schema: dict,
                                                    message: str) -> None:
    status, body = await post(http, emu, structured(schema))
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert message in body["error"]["message"]
    assert body["error"]["message"].startswith("output_config.format")


async def test_citations_cannot_go_with_a_format(http: aiohttp.ClientSession, emu: Emulator) -> None:
    doc = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The Rabbit is late."},
           "citations": {"enabled": True}}
    body = structured({"type": "string"}, messages=[{"role": "user", "content": [doc, {"type": "text", "text": "Who?"}]}])
    status, reply = await post(http, emu, body)
    assert status == 400 and "Citations are not supported together with structured outputs" in reply["error"]["message"]


WEATHER = {"name": "get_weather", "strict": True, "input_schema": {
    "type": "object", "additionalProperties": False, "required": ["city", "unit", "days"],
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]},
                   "days": {"type": "array", "items": {"type": "integer"}}, "when": {"type": "string", "format": "date"}}}}


async def test_strict_tool_input_is_valid_for_its_schema(http: aiohttp.ClientSession, emu: Emulator) -> None:
    ask = [{"role": "user", "content": "Call get_weather for the Queen's garden"}]
    for seed in range(10):
        status, body = await post(http, emu, {"model": EMULATOR_MODEL, "max_tokens": 500, "messages": ask,
                                              "tools": [WEATHER]}, {**HEADERS, "x-emulator-seed": str(seed)})
        assert status == 200 and body["stop_reason"] == "tool_use"
        call = body["content"][-1]
        assert call["type"] == "tool_use" and call["caller"] == {"type": "direct"}
        jsonschema.validate(call["input"], WEATHER["input_schema"], format_checker=FORMATS)
    status, raw = await post(http, emu, {"model": EMULATOR_MODEL, "max_tokens": 500, "messages": ask,
                                         "tools": [WEATHER], "stream": True})
    start = next(json.loads(line[6:]) for line in raw.splitlines()
                 if line.startswith("data: ") and '"tool_use"' in line and "content_block_start" in line)
    assert start["content_block"]["caller"] == {"type": "direct"} and start["content_block"]["input"] == {}


async def test_a_strict_tool_with_an_unsupported_schema_is_refused(http: aiohttp.ClientSession, emu: Emulator) -> None:
    tool = {"name": "f", "strict": True, "input_schema": {"type": "object", "properties": {"x": {"type": "integer",
                                                                                              "maximum": 3}}}}
    status, body = await post(http, emu, {"model": EMULATOR_MODEL, "max_tokens": 50, "messages": PROMPT,
                                          "tools": [tool]})
    assert status == 400
    assert body["error"]["message"].startswith("tools.0.custom.input_schema.properties.x.maximum: numeric bounds")
    tool["strict"] = "yes"
    status, body = await post(http, emu, {"model": EMULATOR_MODEL, "max_tokens": 50, "messages": PROMPT,
                                          "tools": [tool]})
    assert status == 400 and body["error"]["message"] == "tools.0.custom.strict: Input should be a valid boolean"


# ----------------------------------------------------------------------------- OpenAI-compatible

def chat(response_format: dict | None, **extra: Any) -> dict:
    body = {"model": EMULATOR_MODEL, "messages": [{"role": "user", "content": "Describe the Hatter"}], **extra}
    if response_format is not None:
        body["response_format"] = response_format
    return body


async def test_openai_json_schema_response_format(http: aiohttp.ClientSession, emu: Emulator) -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "character", "schema": CHARACTER, "strict": True}}
    for seed in range(5):
        status, body = await post(http, emu, chat(rf, seed=seed), path="/v1/chat/completions")
        assert status == 200, body
        value = json.loads(body["choices"][0]["message"]["content"])
        jsonschema.validate(value, CHARACTER, format_checker=FORMATS)
    status, raw = await post(http, emu, chat(rf, seed=1, stream=True), path="/v1/chat/completions")
    pieces = [json.loads(line[6:])["choices"][0]["delta"].get("content") or "" for line in raw.splitlines()
              if line.startswith("data: {")]
    jsonschema.validate(json.loads("".join(pieces)), CHARACTER)


async def test_openai_json_object_and_text(http: aiohttp.ClientSession, emu: Emulator) -> None:
    status, body = await post(http, emu, chat({"type": "json_object"}), path="/v1/chat/completions")
    value = json.loads(body["choices"][0]["message"]["content"])
    assert status == 200 and isinstance(value, dict) and value
    _, body = await post(http, emu, chat({"type": "text"}), path="/v1/chat/completions")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body["choices"][0]["message"]["content"])


@pytest.mark.parametrize(("rf", "param", "message"), [
    ({"type": "yaml"}, "response_format.type", "expected 'text', 'json_object' or 'json_schema'"),
    ({"type": "json_schema", "json_schema": {"schema": {"type": "string"}}}, "response_format.json_schema.name",
     "must be 1-64 characters"),
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "minLength": 2}}}, None,
     "response_format.json_schema.schema.minLength: string length limits are not supported"),
])
async def test_openai_response_format_errors(http: aiohttp.ClientSession, emu: Emulator, rf: dict, param: str | None,
                                             message: str) -> None:
    status, body = await post(http, emu, chat(rf), path="/v1/chat/completions")
    assert status == 400 and message in body["error"]["message"]
    if param:
        assert body["error"]["param"] == param


async def test_openai_strict_function_arguments_validate(http: aiohttp.ClientSession, emu: Emulator) -> None:
    fn = {"type": "function", "function": {"name": "get_weather", "strict": True, "parameters": WEATHER["input_schema"]}}
    status, body = await post(http, emu, {"model": EMULATOR_MODEL, "tools": [fn], "tool_choice": "required",
                                          "messages": [{"role": "user", "content": "weather?"}]},
                              path="/v1/chat/completions")
    assert status == 200, body
    args = json.loads(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    jsonschema.validate(args, WEATHER["input_schema"])
