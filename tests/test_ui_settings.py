"""The Playground's component values -> RunSettings -> provider kwargs (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from playground.errors import ParameterError
from playground.settings import FIELDS, RunSettings, parse_stop_sequences
from playground.ui.context import read_settings


def kwargs_of(values: dict[str, Any]) -> dict[str, Any]:
    """What a Send passes to the provider for these component values (missing ones at their defaults)."""
    return RunSettings.from_ui(values).to_kwargs()


def test_defaults_send_only_what_was_set() -> None:
    kw = kwargs_of({"max_tokens": 256})
    assert kw == {"max_tokens": 256, "stream": True}  # nothing else is sent: the model's defaults apply


def test_stop_sequences_keep_spaces_and_decode_newlines() -> None:
    assert parse_stop_sequences(" END \n\n\\n\\nHuman:\nback\\\\slash\ttab\\t") == [
        " END ", "\n\nHuman:", "back\\slash\ttab\t"]
    assert parse_stop_sequences("a\\xb") == ["a\\xb"]  # unknown escapes stay as typed
    assert parse_stop_sequences("") == []
    assert kwargs_of({"stop_sequences": " END \n\\n\\nHuman:"})["stop"] == [" END ", "\n\nHuman:"]


def test_numbers_and_blank_numbers() -> None:
    kw = kwargs_of({"temperature": "0.3", "top_k": 40.0, "max_tokens": 12.0})
    assert kw["temperature"] == 0.3 and kw["top_k"] == 40 and isinstance(kw["top_k"], int)
    assert kw["max_tokens"] == 12 and isinstance(kw["max_tokens"], int)
    assert "temperature" not in kwargs_of({"temperature": "  "})  # a blank box is not sent
    with pytest.raises(ParameterError) as err:
        kwargs_of({"top_k": 1.5})
    assert err.value.param == "top_k"
    with pytest.raises(ParameterError, match="max_tokens"):
        kwargs_of({"max_tokens": None})
    with pytest.raises(ParameterError, match="finite"):
        kwargs_of({"temperature": float("nan")})


def test_thinking_modes() -> None:
    assert kwargs_of({"thinking": "budget", "thinking_budget": 2048})["thinking"] == 2048
    assert kwargs_of({"thinking": "adaptive"})["thinking"] == {"type": "adaptive"}
    off = kwargs_of({"thinking": "off", "effort": "high", "thinking_budget": 4096})
    assert off["effort"] == "high" and "thinking" not in off  # the budget box matters only with budget on
    with pytest.raises(ParameterError, match="thinking"):
        kwargs_of({"thinking": "sometimes"})


def test_tools_and_tool_choice() -> None:
    tools = '[{"name": "get_weather", "input_schema": {"type": "object"}}]'
    kw = kwargs_of({"tools": tools, "tool_choice": "tool:get_weather"})
    assert kw["tools"][0]["name"] == "get_weather"
    assert kw["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert kwargs_of({"tools": tools, "tool_choice": "any"})["tool_choice"] == {"type": "any"}
    assert "tool_choice" not in kwargs_of({"tools": "", "tool_choice": "any"})  # no tools: no tool_choice
    with pytest.raises(ParameterError, match=r"tools: not valid JSON \(line 1"):
        kwargs_of({"tools": "[{"})
    with pytest.raises(ParameterError, match="no \"name\""):
        kwargs_of({"tools": '[{"input_schema": {}}]'})
    with pytest.raises(ParameterError) as err:
        kwargs_of({"tools": tools, "tool_choice": "sometimes"})
    assert err.value.param == "tool_choice"


def test_fault_header_only_for_the_offline_backend() -> None:
    assert kwargs_of({"backend": "offline", "fault": "rate_limit"})["headers"] == {
        "x-emulator-fault": "rate_limit"}
    assert "headers" not in kwargs_of({"backend": "anthropic", "fault": "rate_limit", "endless": True})
    assert kwargs_of({"backend": "offline", "endless": True})["headers"] == {"x-emulator-no-eos": "1"}


def test_redacted_thinking_header_only_for_the_offline_backend() -> None:
    both = kwargs_of({"backend": "offline", "endless": True, "redact_thinking": True})["headers"]
    assert both == {"x-emulator-no-eos": "1", "x-emulator-redact-thinking": "1"}
    for backend in ("anthropic", "openai"):
        assert "headers" not in kwargs_of({"backend": backend, "redact_thinking": True})
    assert "headers" not in kwargs_of({"backend": "offline", "redact_thinking": False})


def test_read_settings_takes_the_values_in_fields_order() -> None:
    settings = RunSettings(model="playground-tiny", temperature=0.4, stop_sequences=("END",), endless=True)
    ui = settings.to_ui()
    assert read_settings([ui[k] for k in FIELDS]) == settings
    with pytest.raises(ValueError):
        read_settings(["only one"])


def test_other_components_riding_along_are_not_settings() -> None:
    assert RunSettings.from_ui({"api_key": "sk-ant-secret", "temperature": "0.5"}) == RunSettings(temperature=0.5)


def test_prompt_caching_modes() -> None:
    system = kwargs_of({"system": "Be brief.", "cache": "system"})
    assert system["system"] == [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    assert "extra_data" not in system
    auto = kwargs_of({"system": "Be brief.", "cache": "auto", "cache_ttl": "1h"})
    assert auto["system"] == "Be brief."
    assert auto["extra_data"] == {"cache_control": {"type": "ephemeral", "ttl": "1h"}}
    off = kwargs_of({"system": "Be brief."})
    assert off["system"] == "Be brief." and "extra_data" not in off
    # OpenAI-compatible endpoints have no cache_control: nothing is added
    openai = kwargs_of({"backend": "openai", "system": "Be brief.", "cache": "system"})
    assert openai["system"] == "Be brief." and "extra_data" not in openai


@pytest.mark.parametrize(("values", "param"), [({"cache": "always"}, "cache"),
                                               ({"cache": "auto", "cache_ttl": "2h"}, "cache_ttl")])
def test_prompt_caching_refuses_what_cannot_be_sent(values: dict, param: str) -> None:
    with pytest.raises(ParameterError) as info:
        kwargs_of(values)
    assert info.value.param == param


def test_caching_a_missing_system_prompt_is_a_problem_named_cache() -> None:
    settings = RunSettings.from_ui({"cache": "system"})
    assert settings.problems() == [
        ("cache", "there is no system prompt to cache: write one, or cache the whole prompt.")]
    assert RunSettings.from_ui({"cache": "system", "system": "Be brief."}).problems() == []
