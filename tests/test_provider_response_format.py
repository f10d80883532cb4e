"""response_format, strict tools and the API version through the providers: the bodies and headers
they send (recorded by the offline emulator's real HTTP round trip), and the pre-send checks."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator
from playground.errors import ParameterError
from playground.params import problems, validate_params
from playground.providers import Anthropic, OpenaiAPI
from playground.responses import RequestRecord

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["answer", "sure"],
          "properties": {"answer": {"type": "string"}, "sure": {"type": "boolean"}}}
RF = {"type": "json_schema", "json_schema": {"name": "reply", "schema": SCHEMA}}
HI = [{"role": "user", "content": "Who stole the tarts?"}]
TOOL = {"name": "lookup", "strict": True, "input_schema": SCHEMA}


async def run(provider: Any, emu: Emulator, **kwargs: Any) -> tuple[RequestRecord, str]:
    record, text = None, ""
    async for part in provider.create_async_generator(kwargs.pop("model", EMULATOR_MODEL), HI, api_key="sk-k",
                                                      api_base=emu.api_base, **kwargs):
        if isinstance(part, RequestRecord):
            record = record or part
        elif isinstance(part, str):
            text += part
    assert record is not None
    return record, text


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_sends_output_config_format(emu: Emulator, stream: bool) -> None:
    record, text = await run(Anthropic, emu, response_format=RF, stream=stream, max_tokens=300)
    assert record.body["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    assert "response_format" not in record.body
    jsonschema.validate(json.loads(text), SCHEMA)


async def test_output_format_merges_with_effort_and_extra_output_config(emu: Emulator) -> None:
    record, _ = await run(Anthropic, emu, response_format=RF, effort="high", model="claude-opus-4-7",
                          max_tokens=2000, extra_data={"output_config": {"task_budget": {"type": "tokens", "total": 9}}})
    assert record.body["output_config"] == {"effort": "high", "format": {"type": "json_schema", "schema": SCHEMA},
                                            "task_budget": {"type": "tokens", "total": 9}}


@pytest.mark.parametrize("stream", [False, True])
async def test_openai_sends_response_format_as_is(emu: Emulator, stream: bool) -> None:
    record, text = await run(OpenaiAPI, emu, response_format=RF, stream=stream, max_tokens=300)
    assert record.body["response_format"] == RF and "output_config" not in record.body
    jsonschema.validate(json.loads(text), SCHEMA)
    record, text = await run(OpenaiAPI, emu, response_format={"type": "json_object"}, max_tokens=300)
    assert record.body["response_format"] == {"type": "json_object"} and isinstance(json.loads(text), dict)


async def test_strict_passes_through_on_both_providers(emu: Emulator) -> None:
    record, _ = await run(Anthropic, emu, tools=[TOOL], max_tokens=300)
    assert record.body["tools"][0]["strict"] is True
    record, _ = await run(OpenaiAPI, emu, tools=[TOOL], max_tokens=300)
    assert record.body["tools"][0]["function"]["strict"] is True
    fn = {"type": "function", "function": {"name": "lookup", "strict": True, "parameters": SCHEMA}}
    record, _ = await run(Anthropic, emu, tools=[fn], max_tokens=300)
    assert record.body["tools"][0] == {"name": "lookup", "input_schema": SCHEMA, "strict": True}


@pytest.mark.parametrize(("rf", "message"), [
    ({"type": "json_object"}, "has no Anthropic equivalent"),
    ({"type": "xml"}, "expected {'type': 'text'}"),
    ({"type": "json_schema", "json_schema": {"name": "bad name", "schema": SCHEMA}}, "json_schema.name must be"),
    ({"type": "json_schema", "json_schema": {"name": "ok"}}, "json_schema.schema must be a JSON schema object"),
])
async def test_bad_response_format_is_refused_before_sending(emu: Emulator, rf: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as info:
        await run(Anthropic, emu, response_format=rf)
    assert info.value.param == "response_format"


async def test_api_version_is_a_setting(emu: Emulator) -> None:
    record, _ = await run(Anthropic, emu, max_tokens=20, temperature=0.5)
    assert record.headers["anthropic-version"] == "2023-06-01"  # the seed's default, which takes sampling knobs
    record, _ = await run(Anthropic, emu, max_tokens=20, api_version="2026-10-21")
    assert record.headers["anthropic-version"] == "2026-10-21"
    with pytest.raises(ParameterError, match="anthropic-version 2026-10-21 removed temperature") as info:
        await run(Anthropic, emu, max_tokens=20, api_version="2026-10-21", temperature=0.5)
    assert info.value.param == "temperature"
    with pytest.raises(ParameterError, match="api_version: is the anthropic-version header"):
        await run(OpenaiAPI, emu, api_version="2026-10-21")
    assert Anthropic.get_headers(False, "k")["anthropic-version"] == "2023-06-01"
    assert Anthropic.get_headers(True, None, None, api_version="2026-10-21")["anthropic-version"] == "2026-10-21"


def test_params_version_rule() -> None:
    assert problems("claude-sonnet-4-6", temperature=0.3, top_k=4, api_version="2026-10-21") == [
        "temperature: anthropic-version 2026-10-21 removed temperature, top_p and top_k; leave temperature unset, "
        "or use API version 2023-06-01 to send it.",
        "top_k: anthropic-version 2026-10-21 removed temperature, top_p and top_k; leave top_k unset, "
        "or use API version 2023-06-01 to send it."]
    assert problems("claude-sonnet-4-6", temperature=0.3, api_version="2023-06-01") == []
    assert problems("claude-sonnet-4-6", temperature=0.3) == []
    assert problems(EMULATOR_MODEL, api_version="2026-10-21") == []
    assert problems(EMULATOR_MODEL, api_version="tomorrow") == [
        "api_version: give an anthropic-version date such as 2023-06-01 or 2026-10-21, got 'tomorrow'."]
    with pytest.raises(ParameterError) as info:
        validate_params("claude-opus-4-7", top_p=0.9, api_version="2026-10-21")
    assert info.value.param == "top_p" and "removed" in str(info.value)
