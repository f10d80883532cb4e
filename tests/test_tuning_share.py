"""Share links: settings <-> query string; never a key; prompt only when opted in."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from playground.settings import RunSettings
from playground.tuning.share import MAX_FIELD_CHARS, from_query, to_query

TOOLS = ({"name": "get_weather", "input_schema": {"type": "object"}},)


def _parse(q: str) -> dict[str, str]:
    return dict(parse_qsl(q, keep_blank_values=True))


def test_round_trip():
    s = RunSettings(model="claude-haiku-4-5", system="Be terse & kind", temperature=0.3, top_k=40,
                    max_tokens=300, stop_sequences=("END", "\n\nQ:"), thinking="budget", thinking_budget=4096,
                    effort="low")
    q = to_query(s, prompt="Write a haiku?", include_prompt=True)
    back, prompt, problems, given = from_query(_parse(q))
    assert back == s and prompt == "Write a haiku?" and problems == []
    assert given == {"model", "system", "temperature", "top_k", "max_tokens", "stop_sequences", "thinking",
                     "thinking_budget", "effort"}  # what the page restores: only what the link carries


def test_prompt_only_when_opted_in_and_never_a_key():
    q = to_query(RunSettings(), prompt="secret plans", include_prompt=False)
    assert "prompt" not in _parse(q) and "secret" not in q
    back, prompt, problems, given = from_query({"model": "tiny", "api_key": "sk-ant-xyz12345678", "x-api-key": "k"})
    assert back.model_id == "playground-tiny" and prompt == "" and problems == [] and given == {"model"}
    assert "key" not in str(back.to_json())


def test_bad_values_are_reported_and_skipped():
    back, _, problems, given = from_query({"temperature": "9", "top_k": "many", "stop": "[1]", "max_tokens": "0",
                                           "top_p": "0.5"})
    assert back.temperature is None and back.top_k is None and back.stop_sequences == () and back.max_tokens == 1024
    assert back.top_p == 0.5 and given == {"top_p"}
    assert len(problems) == 4 and "temperature: must be a number from 0 to 1, got 9; ignored." in problems
    assert any(p.startswith("stop_sequences: expected a list of strings") for p in problems)


def test_tools_thinking_and_caching_travel_in_the_link_and_are_checked_on_the_way_in():
    s = RunSettings(system="Be brief.", thinking="adaptive", tools=TOOLS, tool_choice="any", cache="system",
                    cache_ttl="1h")
    back, _, problems, _ = from_query(_parse(to_query(s)))
    assert back == s and problems == []
    hostile = {"thinking": "sometimes", "tools": "<script>", "tool_choice": "tool:", "cache": "everything",
               "cache_ttl": "5m", "api_key": "sk-ant-api03-secret"}
    back, _, problems, given = from_query(hostile)
    assert back == RunSettings() and given == {"cache_ttl"}
    assert sorted(p.split(":")[0] for p in problems) == ["cache", "thinking", "tool_choice", "tools"]  # each named
    assert "secret" not in repr((back, problems))


def test_a_tool_choice_naming_no_possible_tool_is_refused():
    # tool names match ^[a-zA-Z0-9_-]{1,128}$: a link forcing "a b" would only get a 400 from the API
    back, _, problems, given = from_query({"tools": '[{"name": "a", "input_schema": {"type": "object"}}]',
                                           "tool_choice": "tool:a b"})
    assert back.tool_choice == "auto" and "tool_choice" not in given
    assert [p.split(":")[0] for p in problems] == ["tool_choice"]


def test_a_link_that_cannot_carry_a_value_is_refused_not_made_without_it():
    many = tuple({"name": f"tool_{i}", "input_schema": {"type": "object"}} for i in range(600))
    with pytest.raises(ValueError, match=f"the link cannot carry tools: it is longer than {MAX_FIELD_CHARS:,}"):
        to_query(RunSettings(tools=many))
    _, _, problems, _ = from_query({"tools": "[" + " " * MAX_FIELD_CHARS + "]"})
    assert problems == [f"tools: longer than {MAX_FIELD_CHARS:,} characters; ignored."]
