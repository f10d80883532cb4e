"""Named presets saved to and loaded from a JSON file."""

from __future__ import annotations

import pytest

from playground.tuning.presets import PresetError, PresetStore
from playground.tuning.settings import RunSettings


def test_save_load_list_delete(tmp_path):
    store = PresetStore(tmp_path / "p" / "presets.json")
    assert store.names() == []
    precise = RunSettings(model="claude-haiku-4-5", temperature=0.1, stop=("END",))
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


TOOLS = '[{"name": "get_weather", "input_schema": {"type": "object"}}]'


def test_presets_keep_the_playground_extras(tmp_path):
    store = PresetStore(tmp_path / "presets.json")
    extras = {"thinking": "adaptive", "tools": TOOLS, "tool_choice": "tool:get_weather", "cache": "auto",
              "cache_ttl": "1h"}
    store.save("agent", RunSettings(model="claude-sonnet-4-6", effort="high"), extras)
    assert PresetStore(store.path).extras("agent") == extras
    assert store.load("agent").effort == "high"
    store.save("plain", RunSettings(temperature=0.3))
    assert store.extras("plain") == {}  # also what a preset saved before extras existed reads as
    with pytest.raises(PresetError, match="tools: expected a JSON list"):
        store.save("broken", RunSettings(), {"tools": "{not a list"})
    with pytest.raises(PresetError, match="cache_ttl: expected 5m or 1h"):
        store.save("broken", RunSettings(), {"cache": "auto", "cache_ttl": "1d"})
    assert "broken" not in store.names()
    many = "[" + ", ".join(f'{{"name": "tool_{i}", "input_schema": {{"type": "object"}}}}' for i in range(600)) + "]"
    store.save("toolbox", RunSettings(), {"tools": many})  # longer than a link may carry, fine in the file
    assert len(many) > 20_000 and store.extras("toolbox") == {"tools": many}
