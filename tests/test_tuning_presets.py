"""Named presets saved to and loaded from a JSON file."""

from __future__ import annotations

import json

import pytest

from playground.settings import RunSettings
from playground.tuning.presets import PresetError, PresetStore


def test_save_load_list_delete(tmp_path):
    store = PresetStore(tmp_path / "p" / "presets.json")
    assert store.names() == []
    precise = RunSettings(model="claude-haiku-4-5", temperature=0.1, stop_sequences=("END",))
    store.save("precise", precise)
    store.save("wild one", RunSettings(temperature=1.0, top_k=500))
    assert store.names() == ["precise", "wild one"]
    assert PresetStore(store.path).load("precise") == precise  # survives a new instance (on disk)
    store.save("precise", RunSettings(temperature=0.2))  # overwrite
    assert store.load("precise").temperature == 0.2
    store.delete("precise")
    assert store.names() == ["wild one"]
    with pytest.raises(PresetError, match="no preset named 'precise'.*wild one"):
        store.load("precise")


def test_bad_names_and_files(tmp_path):
    store = PresetStore(tmp_path / "presets.json")
    for bad in ("", "a/b", "x" * 65):
        with pytest.raises(PresetError, match="not valid"):
            store.save(bad, RunSettings())
    store.path.write_text("{not json")
    with pytest.raises(PresetError, match="cannot read presets file"):
        store.names()


def test_default_path_follows_history(tmp_path, monkeypatch):
    from playground.tuning.presets import default_presets_path
    monkeypatch.delenv("PLAYGROUND_PRESETS_PATH", raising=False)
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    assert default_presets_path() == tmp_path / "presets.json"


TOOLS = ({"name": "get_weather", "input_schema": {"type": "object"}},)


def test_presets_keep_tools_thinking_and_caching(tmp_path):
    store = PresetStore(tmp_path / "presets.json")
    agent = RunSettings(model="claude-sonnet-4-6", system="Be brief.", effort="high", thinking="adaptive", tools=TOOLS,
                        tool_choice="tool:get_weather", cache="auto", cache_ttl="1h")
    store.save("agent", agent)
    assert PresetStore(store.path).preset("agent") == (agent, [])
    many = tuple({"name": f"tool_{i}", "input_schema": {"type": "object"}} for i in range(600))
    store.save("toolbox", RunSettings(tools=many))  # longer than a link may carry, fine in the file
    assert len(json.dumps(many)) > 20_000 and store.load("toolbox").tools == many


def test_presets_never_hold_where_requests_go_or_the_offline_switches(tmp_path):
    store = PresetStore(tmp_path / "presets.json")
    store.save("p", RunSettings(backend="openai", base_url="https://example.test/v1", temperature=0.3,
                                fault="overloaded", endless=True, redact_thinking=True))
    assert store.load("p") == RunSettings(temperature=0.3)
    assert json.loads(store.path.read_text()) == {"p": {"temperature": 0.3}}


def test_a_saved_value_no_longer_taken_is_named_and_the_rest_loads(tmp_path):
    store = PresetStore(tmp_path / "presets.json")
    store.path.write_text(json.dumps({"broken": {"temperature": 0.4, "tools": "{not a list", "cache_ttl": "1d",
                                                 "colour": "red"}}))
    settings, problems = store.preset("broken")
    assert settings == RunSettings(temperature=0.4)
    assert [field for field, _ in problems] == ["tools", "cache_ttl", "colour"]
    assert dict(problems)["cache_ttl"] == "expected one of 5m, 1h, got '1d'."


def test_presets_saved_by_earlier_versions_still_load(tmp_path):
    store = PresetStore(tmp_path / "presets.json")
    old = {"model": "claude-sonnet-4-6", "system": "", "temperature": 0.2, "top_p": None, "top_k": None,
           "max_tokens": 4000, "stop": ["END"], "thinking_budget": None, "effort": "high", "label": "",
           "playground": {"thinking": "adaptive", "tools": json.dumps(list(TOOLS)), "tool_choice": "any",
                          "cache": "auto", "cache_ttl": "1h"}}
    store.path.write_text(json.dumps({"agent": old, "budget": {**old, "playground": {}, "thinking_budget": 2048}}))
    assert store.preset("agent") == (RunSettings(
        model="claude-sonnet-4-6", temperature=0.2, max_tokens=4000, stop_sequences=("END",), effort="high",
        thinking="adaptive", tools=TOOLS, tool_choice="any", cache="auto", cache_ttl="1h"), [])
    budget = store.load("budget")
    assert (budget.thinking, budget.thinking_budget, budget.tools) == ("budget", 2048, ())
