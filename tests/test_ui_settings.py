"""Settings dict -> provider kwargs (pure)."""

from __future__ import annotations

import pytest

from playground.errors import ParameterError
from playground.ui.context import UIContext
from playground.ui.settings import SETTING_KEYS, parse_stop_sequences, to_provider_kwargs


def test_defaults_send_only_what_was_set() -> None:
    kw = to_provider_kwargs({"max_tokens": 256})
    assert kw["max_tokens"] == 256
    for name in ("system", "temperature", "top_p", "top_k", "stop", "tools", "tool_choice", "thinking", "effort",
                 "headers"):
        assert kw[name] is None, name
    assert kw["stream"] is True


def test_stop_sequences_keep_spaces_and_decode_newlines() -> None:
    assert parse_stop_sequences(" END \n\n\\n\\nHuman:\nback\\\\slash\ttab\\t") == [
        " END ", "\n\nHuman:", "back\\slash\ttab\t"]
    assert parse_stop_sequences("a\\xb") == ["a\\xb"]  # unknown escapes stay as typed
    assert parse_stop_sequences("") == []


def test_numbers_and_blank_numbers() -> None:
    kw = to_provider_kwargs({"temperature": 0.3, "top_k": 40.0, "max_tokens": 12.0})
    assert kw["temperature"] == 0.3 and kw["top_k"] == 40 and isinstance(kw["top_k"], int)
    assert kw["max_tokens"] == 12
    with pytest.raises(ParameterError) as err:
        to_provider_kwargs({"top_k": 1.5})
    assert err.value.param == "top_k"
    with pytest.raises(ParameterError, match="max_tokens"):
        to_provider_kwargs({"max_tokens": None})
    with pytest.raises(ParameterError, match="finite"):
        to_provider_kwargs({"temperature": float("nan")})


def test_thinking_modes() -> None:
    assert to_provider_kwargs({"thinking": "budget", "thinking_budget": 2048})["thinking"] == 2048
    assert to_provider_kwargs({"thinking": "adaptive"})["thinking"] == {"type": "adaptive"}
    assert to_provider_kwargs({"thinking": "off", "effort": "high"})["effort"] == "high"
    with pytest.raises(ParameterError, match="thinking"):
        to_provider_kwargs({"thinking": "sometimes"})


def test_tools_and_tool_choice() -> None:
    tools = '[{"name": "get_weather", "input_schema": {"type": "object"}}]'
    kw = to_provider_kwargs({"tools": tools, "tool_choice": "tool:get_weather"})
    assert kw["tools"][0]["name"] == "get_weather"
    assert kw["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert to_provider_kwargs({"tools": tools, "tool_choice": "any"})["tool_choice"] == {"type": "any"}
    assert to_provider_kwargs({"tools": "", "tool_choice": "any"})["tool_choice"] is None
    with pytest.raises(ParameterError, match=r"tools: not valid JSON \(line 1"):
        to_provider_kwargs({"tools": "[{"})
    with pytest.raises(ParameterError, match="no \"name\""):
        to_provider_kwargs({"tools": '[{"input_schema": {}}]'})
    with pytest.raises(ParameterError) as err:
        to_provider_kwargs({"tools": tools, "tool_choice": "sometimes"})
    assert err.value.param == "tool_choice"


def test_fault_header_only_for_the_offline_backend() -> None:
    assert to_provider_kwargs({"backend": "offline", "fault": "rate_limit"})["headers"] == {
        "x-emulator-fault": "rate_limit"}
    assert to_provider_kwargs({"backend": "anthropic", "fault": "rate_limit", "endless": True})["headers"] is None
    assert to_provider_kwargs({"backend": "offline", "endless": True})["headers"] == {"x-emulator-no-eos": "1"}


def test_redacted_thinking_header_only_for_the_offline_backend() -> None:
    both = to_provider_kwargs({"backend": "offline", "endless": True, "redact_thinking": True})["headers"]
    assert both == {"x-emulator-no-eos": "1", "x-emulator-redact-thinking": "1"}
    for backend in ("anthropic", "openai"):
        assert to_provider_kwargs({"backend": backend, "redact_thinking": True})["headers"] is None
    assert to_provider_kwargs({"backend": "offline", "redact_thinking": False})["headers"] is None
    assert SETTING_KEYS[-1] == "redact_thinking"  # appended: the UI's input order is SETTING_KEYS


def test_context_collect_matches_setting_keys() -> None:
    values = [f"v{i}" for i in range(len(SETTING_KEYS))]
    assert list(UIContext.collect(*values)) == list(SETTING_KEYS)
    with pytest.raises(ValueError):
        UIContext.collect("only one")


def test_prompt_caching_modes() -> None:
    system = to_provider_kwargs({"system": "Be brief.", "cache": "system"})
    assert system["system"] == [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    assert "extra_data" not in system
    auto = to_provider_kwargs({"system": "Be brief.", "cache": "auto", "cache_ttl": "1h"})
    assert auto["system"] == "Be brief."
    assert auto["extra_data"] == {"cache_control": {"type": "ephemeral", "ttl": "1h"}}
    off = to_provider_kwargs({"system": "Be brief."})
    assert off["system"] == "Be brief." and "extra_data" not in off
    # OpenAI-compatible endpoints have no cache_control: nothing is added
    openai = to_provider_kwargs({"backend": "openai", "system": "Be brief.", "cache": "system"})
    assert openai["system"] == "Be brief." and "extra_data" not in openai


@pytest.mark.parametrize(("settings", "param"), [({"cache": "system"}, "cache"), ({"cache": "always"}, "cache"),
                                                 ({"cache": "auto", "cache_ttl": "2h"}, "cache_ttl")])
def test_prompt_caching_refuses_what_cannot_be_sent(settings: dict, param: str) -> None:
    with pytest.raises(ParameterError) as info:
        to_provider_kwargs(settings)
    assert info.value.param == param
