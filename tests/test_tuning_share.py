"""Share links: settings <-> query string; never a key; prompt only when opted in."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from playground.tuning.settings import RunSettings
from playground.tuning.share import from_query, to_query


def _parse(q: str) -> dict[str, str]:
    return dict(parse_qsl(q, keep_blank_values=True))


def test_round_trip():
    s = RunSettings(model="claude-haiku-4-5", system="Be terse & kind", temperature=0.3, top_k=40,
                    max_tokens=300, stop=("END", "\n\n"), thinking_budget=2048, effort="low")
    q = to_query(s, prompt="Write a haiku?", include_prompt=True)
    back, prompt, problems = from_query(_parse(q))
    assert back == s and prompt == "Write a haiku?" and problems == []


def test_prompt_only_when_opted_in_and_never_a_key():
    q = to_query(RunSettings(), prompt="secret plans", include_prompt=False)
    assert "prompt" not in _parse(q) and "secret" not in q
    back, prompt, _ = from_query({"model": "tiny", "api_key": "sk-ant-xyz12345678", "x-api-key": "k"})
    assert back.model == "playground-tiny" and prompt == ""
    assert "key" not in str(back.to_dict())


def test_bad_values_are_reported_and_skipped():
    back, _, problems = from_query({"temperature": "9", "top_k": "many", "stop": "[1]", "max_tokens": "0",
                                    "top_p": "0.5"})
    assert back.temperature is None and back.top_k is None and back.stop == () and back.max_tokens == 1024
    assert back.top_p == 0.5
    assert len(problems) == 4 and any(p.startswith("temperature: 9 is outside") for p in problems)


def test_extras_travel_in_the_link_and_are_checked_on_the_way_in():
    from urllib.parse import parse_qsl

    from playground.tuning.share import check_extras, to_query

    tools = '[{"name": "get_weather", "input_schema": {"type": "object"}}]'
    extras = {"thinking": "adaptive", "tools": tools, "tool_choice": "any", "cache": "system", "cache_ttl": "1h"}
    params = dict(parse_qsl(to_query(RunSettings(), extras=extras)))
    assert check_extras(params) == (extras, [])
    hostile = {"thinking": "budget", "tools": "<script>", "tool_choice": "tool:a b", "cache": "everything",
               "cache_ttl": "5m", "api_key": "sk-ant-api03-secret"}
    valid, problems = check_extras(hostile)
    assert valid == {"cache_ttl": "5m"} and len(problems) == 4
    assert "secret" not in repr((valid, problems))
    # a link that cannot carry an extra is refused, not made without it
    with pytest.raises(ValueError, match="tools: longer than 20000 characters"):
        to_query(RunSettings(), extras={"tools": "[" + " " * 20_000 + "]"})
    with pytest.raises(ValueError, match="tool_choice: expected"):
        to_query(RunSettings(), extras={"tools": tools, "tool_choice": "tool:two words"})
